namespace ImeiEir.Server.Tests;

/// <summary>Every settings section is checked at start; a wrong value stops the node with a message naming it.</summary>
public sealed class SettingsValidationTests : RedisTest
{
    [Theory]
    [InlineData("Index:CompactionFractionOfSnapshot", "0", "Index:CompactionFractionOfSnapshot")]
    [InlineData("Index:CompactionMinimumChanges", "0", "Index:CompactionMinimumChanges")]
    [InlineData("Policy:HomeMcc", "0", "Policy:HomeMcc")]
    [InlineData("Redis:MaxBatchDeltas", "0", "Redis:MaxBatchDeltas")]
    [InlineData("Redis:FollowPollInterval", "00:00:00", "Redis:FollowPollInterval")]
    [InlineData("Redis:CheckpointEveryMutations", "0", "Redis:CheckpointEveryMutations")]
    [InlineData("Redis:BatchIdRetention", "1.00:00:00", "Redis:BatchIdRetention")]
    public async Task Start_BadSetting_RefusedNamingIt(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { [key] = value }, waitReady: false);
        });

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
