using System.Diagnostics;

namespace ImeiEir.Server.Overload;

/// <summary>
/// Adds thread-pool threads at once when pool threads are <em>blocked</em>, and only then. Work waiting in the pool's
/// queue while the process leaves its cores idle means the threads are held by something that waits (a library
/// blocking on I/O: StackExchange.Redis follows a Sentinel failover with synchronous calls on pool threads, several
/// for seconds at once); checks, answered from memory, would wait behind them. The pool's own starvation injection
/// adds about one thread every half second, which let checks time out for seconds; this raises the pool's minimum to
/// <see cref="RaisedMinimum"/> on the first sign, and puts it back once nothing has been starved for
/// <see cref="HoldTime"/>.
/// <para>
/// Why not a high minimum all the time (64 threads, as the node first had): from the start that many threads stay
/// runnable under CPU load, and the JIT's tiering thread gets a sixty-fifth of a core. Measured on one core
/// (<c>h2load</c>, N5g-eir, <c>bench/RESULTS.md</c> "Overload"): after 40 s of load 53 666 checks/s with the minimum
/// at 64 against 117 215 with the default (one per core); once warm both served ~120 000/s, and under that closed load
/// hill climbing grew both pools to ~100 threads, so the gain measured is the warm-up.
/// </para>
/// <para>
/// Paused, not blocked: a garbage collection suspends every thread, so work queued before it waits as long as the
/// pause, with the cores idle or busy with the collection alone. More threads do nothing for that, so the part of a
/// wait spent in collections (<see cref="GC.GetTotalPauseDuration"/> across it) does not count: the heap trim after a
/// write burst, a blocking compaction of 50–90 ms, raised the minimum to 64 for half a minute after every sync before.
/// </para>
/// <para>
/// Busy, not blocked: with the cores used (more than <see cref="BusyShare"/> of them over the last window) a long
/// queue is load, which more threads would only slice finer; overload control handles that. Called by the
/// <see cref="QueueDelayMonitor"/>'s sampler thread only.
/// </para>
/// </summary>
internal sealed class StarvationGuard
{
    /// <summary>The pool's minimum while threads are blocked: room for many blocked threads beside the checks'.</summary>
    public const int RaisedMinimum = 64;

    /// <summary>Queue delay from which waiting work counts as starved (when the cores are not busy).</summary>
    public static readonly TimeSpan StarvedDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the minimum stays raised after the last starved sample.</summary>
    public static readonly TimeSpan HoldTime = TimeSpan.FromSeconds(30);

    /// <summary>Share of the process's cores in use above which a long queue is load, not blocked threads.</summary>
    public const double BusyShare = 0.5;

    // The window over which the cores' use is measured.
    private static readonly long Window = Stopwatch.Frequency / 40;

    private readonly Func<TimeSpan> _cpuTime;
    private readonly Func<int, bool> _setMinimum;
    private readonly int _cores;
    private readonly int _normalMinimum;
    private readonly long _starvedDelay;
    private readonly long _hold;
    private readonly ILogger _logger;

    private long _windowStart;
    private TimeSpan _windowCpu;
    private double _busy;
    private long _lastStarved;

    /// <param name="cpuTime">The process's processor time so far (<see cref="Environment.CpuUsage"/>).</param>
    /// <param name="setMinimum">Sets the pool's minimum of worker threads (<see cref="ThreadPool.SetMinThreads"/>).</param>
    /// <param name="cores">Cores the process may use (<see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="normalMinimum">The minimum to go back to.</param>
    public StarvationGuard(Func<TimeSpan> cpuTime, Func<int, bool> setMinimum, int cores, int normalMinimum, ILogger logger)
    {
        _cpuTime = cpuTime;
        _setMinimum = setMinimum;
        _cores = Math.Max(1, cores);
        _normalMinimum = normalMinimum;
        _starvedDelay = (long)(StarvedDelay.TotalSeconds * Stopwatch.Frequency);
        _hold = (long)(HoldTime.TotalSeconds * Stopwatch.Frequency);
        _logger = logger;
        _windowCpu = cpuTime();
    }

    /// <summary>The node's guard: the process's processor time, the pool's minimum, its cores.</summary>
    public static StarvationGuard ForProcess(ILogger logger)
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        return new StarvationGuard(
            () => Environment.CpuUsage.TotalTime,
            minimum =>
            {
                ThreadPool.GetMinThreads(out _, out var io);
                return ThreadPool.SetMinThreads(minimum, io);
            },
            Environment.ProcessorCount,
            workers,
            logger);
    }

    /// <summary>True while the pool's minimum is raised.</summary>
    public bool Raised { get; private set; }

    /// <summary>Share of the cores the process used over the last complete window (0–1).</summary>
    public double Busy => _busy;

    /// <summary>
    /// One sample of the queue delay at <paramref name="now"/>, of which <paramref name="gcPaused"/> the process spent
    /// suspended by garbage collections (all in <see cref="Stopwatch"/> ticks).
    /// </summary>
    public void Observe(long now, long delay, long gcPaused = 0)
    {
        delay -= Math.Clamp(gcPaused, 0, delay);
        if (now - _windowStart >= Window)
        {
            var cpu = _cpuTime();
            if (_windowStart != 0)
            {
                _busy = (cpu - _windowCpu).TotalSeconds / (Stopwatch.GetElapsedTime(_windowStart, now).TotalSeconds * _cores);
            }

            (_windowStart, _windowCpu) = (now, cpu);
        }

        if (delay >= _starvedDelay && _busy < BusyShare)
        {
            // Logged once an episode: the first starved sample after a second without any.
            var newEpisode = _lastStarved == 0 || now - _lastStarved >= Stopwatch.Frequency;
            _lastStarved = now;
            if (!Raised && _setMinimum(RaisedMinimum))
            {
                Raised = true;
                OverloadLog.Starved(_logger, Stopwatch.GetElapsedTime(0, delay).TotalMilliseconds, _busy * 100, RaisedMinimum, HoldTime);
            }
            else if (Raised && newEpisode)
            {
                OverloadLog.StarvedAgain(_logger, Stopwatch.GetElapsedTime(0, delay).TotalMilliseconds, _busy * 100, RaisedMinimum, HoldTime);
            }
        }
        else if (Raised && now - _lastStarved >= _hold && _setMinimum(_normalMinimum))
        {
            Raised = false;
            OverloadLog.StarvationOver(_logger, _normalMinimum);
        }
    }
}
