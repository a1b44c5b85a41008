using ImeiEir.Server.Nrf;

namespace ImeiEir.Server.Tests.Nrf;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 2.0)]
    [InlineData(3, 4.0)]
    [InlineData(5, 16.0)]
    [InlineData(6, 30.0)]
    [InlineData(1000, 30.0)]
    public void Ceiling_NthFailure_DoublesFromMinUpToMax(int failures, double seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)).Ceiling(failures));

    [Fact]
    public void NextDelay_ManyFailures_BetweenHalfAndAllOfTheCeilingAndSpread()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(42));
        var delays = new List<TimeSpan>();
        for (var n = 1; n <= 40; n++)
        {
            var delay = backoff.NextDelay();
            var ceiling = backoff.Ceiling(n);
            Assert.InRange(delay, ceiling / 2, ceiling);
            delays.Add(delay);
        }

        Assert.Equal(40, backoff.Failures);
        Assert.True(delays.Skip(10).Distinct().Count() > 20, "jitter spreads the waits at the cap");
    }

    [Fact]
    public void Reset_AfterFailures_StartsFromMinAgain()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        for (var i = 0; i < 10; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.InRange(backoff.NextDelay(), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.Equal(1, backoff.Failures);
    }
}
