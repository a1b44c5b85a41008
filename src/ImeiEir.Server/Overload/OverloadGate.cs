using ImeiEir.Core.Overload;

namespace ImeiEir.Server.Overload;

/// <summary>What the gate says to a check call.</summary>
internal enum Admission : byte
{
    Admitted,

    /// <summary>The queue is standing above <see cref="OverloadOptions.MaxQueueDelay"/>.</summary>
    QueueDelay,

    /// <summary><see cref="OverloadOptions.MaxConcurrentChecks"/> calls are in progress.</summary>
    Concurrency,
}

/// <summary>
/// The node's admission of checks, for every interface: refuses while <see cref="QueueDelayMonitor"/> says the queue
/// is standing, or when <see cref="OverloadOptions.MaxConcurrentChecks"/> calls are in progress, and counts every
/// refusal. Per call it costs an interlocked increment (the arrival rate), a volatile read and, for calls counted in
/// flight, an interlocked increment and decrement: no lock, no allocation.
/// </summary>
internal sealed class OverloadGate : IOverloadGate
{
    private readonly OverloadMetrics _metrics;
    private readonly int _maxInFlight;
    private readonly bool _enabled;
    private int _inFlight;

    public OverloadGate(OverloadOptions options, QueueDelayMonitor monitor, OverloadMetrics metrics)
    {
        Monitor = monitor;
        _metrics = metrics;
        _enabled = options.Enabled;
        _maxInFlight = options.EffectiveMaxConcurrentChecks;
        metrics.Observe(this);
    }

    public QueueDelayMonitor Monitor { get; }

    /// <summary>Check calls admitted with <see cref="TryEnter"/> and not yet left.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The in-flight limit in effect.</summary>
    public int MaxInFlight => _maxInFlight;

    /// <inheritdoc/>
    public bool ShouldShed(CheckInterface via)
    {
        Monitor.CountArrival();
        if (!Monitor.Shedding)
        {
            return false;
        }

        Refused((int)via, ShedReason.QueueDelay);
        return true;
    }

    /// <summary>
    /// Admits one check call, counted in flight until <see cref="Exit"/>, or refuses it (counted). Only an admitted
    /// call may call <see cref="Exit"/>.
    /// </summary>
    public Admission TryEnter(CheckInterface via)
    {
        if (ShouldShed(via))
        {
            return Admission.QueueDelay;
        }

        if (Interlocked.Increment(ref _inFlight) > _maxInFlight && _enabled)
        {
            Interlocked.Decrement(ref _inFlight);
            Refused((int)via, ShedReason.Concurrency);
            return Admission.Concurrency;
        }

        return Admission.Admitted;
    }

    /// <summary>The end of a call admitted by <see cref="TryEnter"/>.</summary>
    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// True when a call with a deadline <paramref name="timeoutTicks"/> (<see cref="System.Diagnostics.Stopwatch"/> ticks)
    /// after it was sent has spent that long in the queue already: its caller has given up, so it is not worked on.
    /// The wait is the queue delay measured now (work leaves the queue in order), not the call's own, which the
    /// server does not know: gRPC servers start the deadline clock when the call starts running.
    /// </summary>
    public bool ExpiredInQueue(long timeoutTicks) => timeoutTicks <= Monitor.DelayTicks;

    /// <summary>Counts a call refused; <paramref name="interfaceIndex"/> is a <see cref="CheckInterface"/> or <see cref="OverloadMetrics.Sync"/>.</summary>
    public void Refused(int interfaceIndex, ShedReason reason)
    {
        _metrics.Shed(interfaceIndex, reason);
        Monitor.CountRefused();
    }
}
