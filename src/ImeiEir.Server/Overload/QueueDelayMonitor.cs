using System.Diagnostics;

namespace ImeiEir.Server.Overload;

/// <summary>
/// Measures how long work waits in the thread pool's global queue — where Kestrel puts every new HTTP/2 stream and
/// where socket completions (Diameter reads included) go — and publishes whether checks are to be shed
/// (<see cref="SheddingRule"/>). A dedicated thread wakes about every millisecond and queues a probe work item,
/// stamped; the probe's wait is the queue delay a request arriving at that moment sees. While a probe is still
/// waiting, its age so far is a lower bound of the delay, so a growing queue is seen as it grows, not after it drained.
/// Each sample also goes to the <see cref="StarvationGuard"/>, which adds pool threads when the queue waits on blocked
/// threads rather than on busy cores.
/// <para>
/// Costs nothing per request: readers take two volatile fields. The sampler is a thread of its own, not a timer,
/// because timer callbacks run on the very pool whose queue it measures and would be late exactly when it matters.
/// </para>
/// </summary>
internal sealed class QueueDelayMonitor : IHostedService, IThreadPoolWorkItem
{
    private readonly OverloadOptions _options;
    private readonly ILogger<QueueDelayMonitor> _logger;
    private readonly SheddingRule _rule;
    private readonly StarvationGuard _starvation;
    private Thread? _thread;
    private bool _stopping;

    // Written by the sampler thread and the probe, read by every request.
    private long _delay;
    private int _shedding;

    // The probe in the pool: its enqueue timestamp (0: none waiting) and the process's garbage-collection pause total
    // then (TimeSpan ticks), and the wait of the last one that ran with the part of it the process was paused by
    // collections (Stopwatch ticks; for the starvation guard, which discounts it).
    private long _probeQueuedAt;
    private long _probeQueuedPause;
    private long _lastProbeDelay;
    private long _lastProbeGcPaused;
    private bool _frozen;

    // Checks arriving (all interfaces), and their rate over the last RateWindow: shedding needs MinRateToShed.
    private static readonly long RateWindow = Stopwatch.Frequency / 10;
    private long _arrivals;
    private long _windowStart;
    private long _windowArrivals;
    private double _rate;

    // Logging by episode: from the first standing queue until none for QuietPeriod, however often it flaps between.
    private static readonly long QuietPeriod = 10 * Stopwatch.Frequency;
    private long _refused;
    private bool _episode;
    private long _episodeStart;
    private long _lastStanding;
    private long _refusedAtEpisodeStart;

    public QueueDelayMonitor(OverloadOptions options, ILogger<QueueDelayMonitor> logger)
    {
        _options = options;
        _logger = logger;
        _rule = new SheddingRule(ToTicks(options.MaxQueueDelay), ToTicks(options.BurstTolerance));
        _starvation = StarvationGuard.ForProcess(logger);
    }

    /// <summary>The current queue delay estimate, in <see cref="Stopwatch"/> ticks.</summary>
    public long DelayTicks => Volatile.Read(ref _delay);

    /// <summary>The current queue delay estimate.</summary>
    public TimeSpan Delay => Stopwatch.GetElapsedTime(0, DelayTicks);

    /// <summary>True while checks are to be shed (the queue is standing and above <see cref="OverloadOptions.MaxQueueDelay"/>).</summary>
    public bool Shedding => Volatile.Read(ref _shedding) != 0;

    /// <summary>True from the moment the queue is found standing until it has drained for a whole burst tolerance.</summary>
    public bool Standing { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "overload-probe" };
            _thread.Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _stopping, true);
        _thread?.Join();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Tests: stops sampling and holds <paramref name="delay"/> as if it had just been measured, then applies the rule
    /// once (a delay above <see cref="OverloadOptions.BurstTolerance"/> sheds at once; one between the two limits does
    /// not, since no time passes).
    /// </summary>
    internal void Freeze(TimeSpan delay)
    {
        lock (_rule)
        {
            _frozen = true;
            Publish(Stopwatch.GetTimestamp(), ToTicks(delay), loaded: true);
        }
    }

    /// <summary>Tests: undoes <see cref="Freeze"/>: no delay, no queue ever seen, sampling again.</summary>
    internal void Thaw()
    {
        lock (_rule)
        {
            _rule.Reset();
            Publish(Stopwatch.GetTimestamp(), 0, loaded: false);
            _frozen = false;
        }
    }

    /// <summary>
    /// Checks per second below which nothing is shed, however long the queue: a few hundred checks a second cost a
    /// few percent of one core, so they are not what loads the node (a start-up's compilation, a collection, a sync,
    /// a noisy neighbour) and refusing them would relieve nothing — CoDel's "never drop the last packet" for requests.
    /// A node that can be overloaded by checks serves tens of thousands a second.
    /// </summary>
    public const double MinRateToShed = 1_000;

    /// <summary>Checks per second arriving, over the last tenth of a second (every interface).</summary>
    public double ArrivalRate => Volatile.Read(ref _rate);

    /// <summary>Counts one check arriving at the gate (every interface): one interlocked increment.</summary>
    public void CountArrival() => Interlocked.Increment(ref _arrivals);

    /// <summary>Counts a refused call, for the log line at the end of an overload episode.</summary>
    public void CountRefused() => Interlocked.Increment(ref _refused);

    // The probe: runs when the pool reaches it; its wait is the queue delay.
    void IThreadPoolWorkItem.Execute()
    {
        var queuedAt = Volatile.Read(ref _probeQueuedAt);
        Volatile.Write(ref _lastProbeGcPaused, GcPausedSince(Volatile.Read(ref _probeQueuedPause)));
        Volatile.Write(ref _lastProbeDelay, Stopwatch.GetTimestamp() - queuedAt);
        Volatile.Write(ref _probeQueuedAt, 0);
    }

    // Stopwatch ticks the process was paused by garbage collections since the pause total was `since` (TimeSpan ticks).
    private static long GcPausedSince(long since) =>
        (long)((GC.GetTotalPauseDuration().Ticks - since) * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    /// <summary>
    /// The sampling period while nothing can be shed (checks arrive at fewer than <see cref="MinRateToShed"/> a second
    /// and no queue is standing). Each probe wakes a pool thread, which then spins for more work before it sleeps:
    /// sampled every millisecond, an idle node spent about a fifth of a core on that (`perf`: the workers'
    /// <c>LowLevelLifoSemaphore.Wait</c> in <c>sched_yield</c>). Sampling faster again when checks come costs at most
    /// this period plus the rate's window before shedding could start, and shedding needs a standing queue anyway.
    /// </summary>
    public static readonly TimeSpan IdleSamplePeriod = TimeSpan.FromMilliseconds(25);

    private void Run()
    {
        var idlePeriod = (int)IdleSamplePeriod.TotalMilliseconds;
        while (!Volatile.Read(ref _stopping))
        {
            // Thread.Sleep(1) is about 1.1 ms on Linux: the sampling period under load (an event's Wait would spin
            // first, every time).
            Thread.Sleep(Volatile.Read(ref _rate) >= MinRateToShed || Standing ? 1 : idlePeriod);
            var now = Stopwatch.GetTimestamp();
            var queuedAt = Volatile.Read(ref _probeQueuedAt);
            long delay = Volatile.Read(ref _lastProbeDelay), gcPaused = Volatile.Read(ref _lastProbeGcPaused);
            if (queuedAt == 0)
            {
                Volatile.Write(ref _probeQueuedPause, GC.GetTotalPauseDuration().Ticks);
                Volatile.Write(ref _probeQueuedAt, now);
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
            else if (now - queuedAt > delay)
            {
                (delay, gcPaused) = (now - queuedAt, GcPausedSince(Volatile.Read(ref _probeQueuedPause)));
            }

            if (now - _windowStart >= RateWindow)
            {
                var arrivals = Interlocked.Read(ref _arrivals);
                Volatile.Write(ref _rate, (arrivals - _windowArrivals) * (double)Stopwatch.Frequency / (now - _windowStart));
                (_windowStart, _windowArrivals) = (now, arrivals);
            }

            lock (_rule)
            {
                if (!_frozen)
                {
                    Publish(now, delay, Volatile.Read(ref _rate) >= MinRateToShed);
                }
            }

            _starvation.Observe(now, delay, gcPaused);
        }
    }

    /// <param name="loaded">Checks arrive at <see cref="MinRateToShed"/> or more: without, the rule still follows the
    /// queue, but nothing is shed.</param>
    private void Publish(long now, long delay, bool loaded)
    {
        var shed = _rule.Update(now, delay) && _options.Enabled && loaded;
        Volatile.Write(ref _delay, delay);
        Volatile.Write(ref _shedding, shed ? 1 : 0);
        Standing = _rule.Standing;
        if (Standing)
        {
            _lastStanding = now;
            if (!_episode)
            {
                _episode = true;
                _episodeStart = now;
                _refusedAtEpisodeStart = Interlocked.Read(ref _refused);
                OverloadLog.Standing(_logger, Stopwatch.GetElapsedTime(0, delay).TotalMilliseconds, _options.MaxQueueDelay, _options.BurstTolerance);
            }
        }
        else if (_episode && now - _lastStanding >= QuietPeriod)
        {
            _episode = false;
            OverloadLog.Drained(_logger, Stopwatch.GetElapsedTime(_episodeStart, _lastStanding), Interlocked.Read(ref _refused) - _refusedAtEpisodeStart);
        }
    }

    private static long ToTicks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);
}
