namespace ImeiEir.Server.Tests.Events;

/// <summary>Events settings are checked at start; a wrong value stops the node with a message naming it.</summary>
public sealed class EventsSettingsTests : RedisTest
{
    [Theory]
    [InlineData("Events:Retention", "12:00:00", "Events:Retention")]
    [InlineData("Events:GraceWarningBefore", "00:00:00", "Events:GraceWarningBefore")]
    [InlineData("Events:NotRegisteredEvery", "00:00:00", "Events:NotRegisteredEvery")]
    [InlineData("Events:StolenSeenEvery", "-00:00:01", "Events:StolenSeenEvery")]
    [InlineData("Events:CloneThreshold", "-1", "Events:CloneThreshold")]
    [InlineData("Events:CloneTableSlots", "8", "Events:CloneTableSlots")]
    [InlineData("Events:QueueCapacity", "0", "Events:QueueCapacity")]
    [InlineData("Events:ThreeDigitMncCountries:0", "1000", "Events:ThreeDigitMncCountries")]
    public async Task Start_BadSetting_RefusedNamingIt(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { [key] = value }, waitReady: false);
        });

        Assert.Contains(expected, ex.ToString(), StringComparison.Ordinal);
    }
}
