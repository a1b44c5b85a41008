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
    [InlineData("HeapTrim:AfterQuiet", "-00:00:01", "HeapTrim:AfterQuiet")]
    [InlineData("HeapTrim:MinimumExcessBytes", "-1", "HeapTrim:MinimumExcessBytes")]
    [InlineData("Writer:Nice", "20", "Writer:Nice")]
    [InlineData("Writer:Nice", "-1", "Writer:Nice")]
    [InlineData("Auth:Clients:0:KeySha256", "abc", "Auth:Clients:0:KeySha256")]
    [InlineData("Auth:Clients:0:Roles:0", "admin", "unknown role 'admin'")]
    [InlineData("Auth:TrustedNetworks:0", "10.0.0.1", "Auth:TrustedNetworks:0")]
    [InlineData("Auth:TrustedNetworks:0", "10.0.0.0/33", "Auth:TrustedNetworks:0")]
    [InlineData("Auth:ClientCertificates:CaPath", "/nonexistent/ca.pem", "Auth:ClientCertificates:CaPath")]
    [InlineData("Auth:Oauth2:Issuers:0:Issuer", "nrf", "Auth:Oauth2:Issuers:0:SigningKeyPath")]
    [InlineData("Auth:Oauth2:ClockSkew", "00:01:00", "Auth:Oauth2:ClockSkew")]
    public async Task Start_BadSetting_RefusedNamingIt(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { [key] = value }, waitReady: false);
        });

        Assert.Contains(expected, ex.ToString(), StringComparison.Ordinal);
    }
}
