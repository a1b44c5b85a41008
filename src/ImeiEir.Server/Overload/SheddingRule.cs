namespace ImeiEir.Server.Overload;

/// <summary>
/// Decides from queue-delay samples whether to shed: CoDel's target and interval (RFC 8289) applied to requests, as
/// in the "adaptive CoDel" of RPC servers (Maurer, "Fail at Scale", ACM Queue 13(8), 2015). Times are in any one
/// monotonic unit (the monitor uses <see cref="System.Diagnostics.Stopwatch"/> ticks). Not thread-safe: one sampler.
/// <list type="bullet">
/// <item>A queue that goes above the target only for a moment is a burst: nothing is shed, unless it grows past the
/// interval itself (no check should wait that long).</item>
/// <item>A queue above the target for a whole interval is standing: from then on every check that would wait longer
/// than the target is shed, at once, each time the delay is above it — not after another interval, or the queue would
/// grow back to the interval between two rounds of shedding.</item>
/// <item>The queue stops being standing after the delay stayed at or below the target for a whole interval.</item>
/// </list>
/// </summary>
internal sealed class SheddingRule
{
    private readonly long _target;
    private readonly long _interval;
    private long _aboveSince = -1;
    private long _belowSince = -1;

    public SheddingRule(long target, long interval)
    {
        _target = target;
        _interval = interval;
    }

    /// <summary>True from the moment the queue is standing until it has stayed short for an interval.</summary>
    public bool Standing { get; private set; }

    /// <summary>Forgets everything seen (tests: back to an idle node).</summary>
    public void Reset()
    {
        _aboveSince = -1;
        _belowSince = -1;
        Standing = false;
    }

    /// <summary>Takes the queue delay measured at <paramref name="now"/>; returns whether checks are shed now.</summary>
    public bool Update(long now, long delay)
    {
        if (delay <= _target)
        {
            _aboveSince = -1;
            if (_belowSince < 0)
            {
                _belowSince = now;
            }

            if (Standing && now - _belowSince >= _interval)
            {
                Standing = false;
            }

            return false;
        }

        _belowSince = -1;
        if (_aboveSince < 0)
        {
            _aboveSince = now;
        }

        if (!Standing && (now - _aboveSince >= _interval || delay > _interval))
        {
            Standing = true;
        }

        return Standing;
    }
}
