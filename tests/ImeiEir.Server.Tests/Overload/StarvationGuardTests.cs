using System.Diagnostics;
using ImeiEir.Server.Overload;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// The starvation guard on explicit samples: a fake processor clock and a recorded pool minimum, two cores. Time is in
/// <see cref="Stopwatch"/> ticks, as the monitor's sampler gives it.
/// </summary>
public sealed class StarvationGuardTests
{
    private const int Cores = 2;
    private const int Normal = 2;
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private static readonly long Long = (long)(StarvationGuard.StarvedDelay.TotalSeconds * Stopwatch.Frequency) + Ms;

    private readonly List<int> _minimums = [];
    private TimeSpan _cpu;
    private long _now = 1_000 * Ms;

    private StarvationGuard NewGuard() => new(() => _cpu, m => { _minimums.Add(m); return true; }, Cores, Normal, NullLogger.Instance);

    // Advances the clocks by `ms` with the process using `busyCores` of its cores meanwhile, then samples `delay`, of
    // which `gcPaused` the process was suspended by garbage collections.
    private void Sample(StarvationGuard guard, int ms, double busyCores, long delay, long gcPaused = 0)
    {
        _now += ms * Ms;
        _cpu += TimeSpan.FromMilliseconds(ms * busyCores);
        guard.Observe(_now, delay, gcPaused);
    }

    // Waits that are blocked threads: the queue stood beyond the starved delay with the cores mostly idle.
    public static TheoryData<string, long, long> Starved => new()
    {
        { "queue waiting, cores idle", Long, 0 },
        { "queue waiting well beyond a collection's pause in it", Long + (10 * Ms), 10 * Ms },
    };

    // Waits that more threads would not shorten.
    public static TheoryData<string, double, long, long> NotStarved => new()
    {
        { "cores busy: load, not blocked threads", Cores * 0.95, Long * 5, 0 },
        { "queue shorter than the starved delay", 0, Long - (2 * Ms), 0 },
        // A blocking collection of 85 ms (the heap trim after a write burst): the probe waited all of it, a little more.
        { "the wait was a collection's pause", 0.1, 85 * Ms, (85 * Ms) - Long + (2 * Ms) },
    };

    [Theory]
    [MemberData(nameof(Starved))]
    public void QueueStarved_RaisesTheMinimumOnce(string wait, long delay, long gcPaused)
    {
        var guard = NewGuard();
        Sample(guard, 0, 0, 0);

        for (var i = 0; i < 10; i++)
        {
            Sample(guard, 30, 0.1, delay, gcPaused);
        }

        Assert.True(guard.Raised, wait);
        Assert.Equal([StarvationGuard.RaisedMinimum], _minimums);
    }

    [Theory]
    [MemberData(nameof(NotStarved))]
    public void QueueNotStarved_AddsNoThreads(string wait, double busyCores, long delay, long gcPaused)
    {
        var guard = NewGuard();
        Sample(guard, 0, 0, 0);

        for (var i = 0; i < 40; i++)
        {
            Sample(guard, 30, busyCores, delay, gcPaused);
        }

        Assert.False(guard.Raised, wait);
        Assert.Empty(_minimums);
    }

    [Fact]
    public void Raised_BackToNormalOnlyAfterTheHoldTimeWithoutStarvation()
    {
        var guard = NewGuard();
        Sample(guard, 0, 0, 0);
        Sample(guard, 30, 0, Long);
        Sample(guard, 30, 0, Long);
        Assert.True(guard.Raised);

        // Starved again 20 s later: the hold time counts from then.
        var holdMs = (int)StarvationGuard.HoldTime.TotalMilliseconds;
        Sample(guard, 20_000, 0, 0);
        Sample(guard, 30, 0, Long);
        Sample(guard, holdMs - 1_000, 0, 0);
        Assert.True(guard.Raised);

        Sample(guard, 1_100, 0.2, 0);

        Assert.False(guard.Raised);
        Assert.Equal([StarvationGuard.RaisedMinimum, Normal], _minimums);
    }

    [Fact]
    public void PoolRefusesTheMinimum_TriesAgainNextSample()
    {
        var accept = false;
        var guard = new StarvationGuard(() => _cpu, m => { _minimums.Add(m); return accept; }, Cores, Normal, NullLogger.Instance);
        Sample(guard, 0, 0, 0);
        Sample(guard, 30, 0, Long);
        Sample(guard, 30, 0, Long);
        Assert.False(guard.Raised);

        accept = true;
        Sample(guard, 30, 0, Long);

        Assert.True(guard.Raised);
        Assert.Equal(StarvationGuard.RaisedMinimum, _minimums[^1]);
    }
}
