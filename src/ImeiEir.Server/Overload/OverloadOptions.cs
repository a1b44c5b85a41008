namespace ImeiEir.Server.Overload;

/// <summary>
/// Settings of section <c>Overload</c>: when checks are shed, and how many RegistrySync calls one client may hold open.
/// Every default says why it is what it is; <see cref="Validate"/> runs at start and names the wrong setting.
/// </summary>
public sealed class OverloadOptions
{
    public const string SectionName = "Overload";

    /// <summary>Calls per core admitted at once when <see cref="MaxConcurrentChecks"/> is 0.</summary>
    public const int DefaultConcurrentChecksPerCore = 64;

    /// <summary>
    /// <c>false</c> turns shedding off: checks are never refused for load (deadlines and the sync limit still apply).
    /// Default <c>true</c>: at twice the rate a node can serve, refusing fast is the only way to keep answering anyone
    /// in time; for load tests that measure what happens without it.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Once the node's queue is standing (see <see cref="BurstTolerance"/>), checks are shed while the queue delay is
    /// above this, so an accepted check waits about this long at most. Default 5 ms: CoDel's target (RFC 8289 §4.4);
    /// a check costs well under a millisecond of CPU here, so 5 ms of queue is hundreds of checks waiting, and an
    /// attach's budget for the IMEI check (seconds) is better spent at another EIR than in this queue.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How long the queue delay may stay above <see cref="MaxQueueDelay"/> before shedding starts (a burst, a
    /// collection pause, a batch that keeps both cores busy for a moment are not overload), and the most any check
    /// waits before one is shed regardless; also how long the delay must stay below <see cref="MaxQueueDelay"/>
    /// before a burst is tolerated again. Default 100 ms: CoDel's interval (RFC 8289 §4.3), longer than a gen-2
    /// collection pause here and short next to a core network's timers.
    /// </summary>
    public TimeSpan BurstTolerance { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Check calls in progress at once (unary Check, CheckBatch, N5g-eir GET; a CheckStream is gated per message
    /// instead), beyond which a new one is shed. 0 (default): <see cref="DefaultConcurrentChecksPerCore"/> per core.
    /// A check call costs 15–20 µs of CPU here, so 64 per core is about a millisecond of work; calls beyond that are
    /// not computing but waiting (on slow clients or on each other), and admitting more only adds latency and memory.
    /// </summary>
    public int MaxConcurrentChecks { get; set; }

    /// <summary>
    /// RegistrySync calls (Apply streams and GetSyncState) one client may have open at once, by the authenticated
    /// client name. Default 2: one feed and one catching up or a status poll beside it; a client opening more only
    /// competes with itself for the same Redis and index writer, and a runaway client cannot starve the others.
    /// </summary>
    public int SyncStreamsPerClient { get; set; } = 2;

    /// <summary>The in-flight limit in effect: <see cref="MaxConcurrentChecks"/>, or its per-core default.</summary>
    public int EffectiveMaxConcurrentChecks
        => MaxConcurrentChecks > 0 ? MaxConcurrentChecks : DefaultConcurrentChecksPerCore * Environment.ProcessorCount;

    /// <summary>Throws naming the first setting that is out of range.</summary>
    public void Validate()
    {
        // The probe samples every millisecond or so: a shorter delay than that cannot be told from no delay.
        if (MaxQueueDelay < TimeSpan.FromMilliseconds(1) || MaxQueueDelay > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"Overload:MaxQueueDelay must be between 00:00:00.001 and 00:00:10 (is {MaxQueueDelay}).");
        }

        if (BurstTolerance < MaxQueueDelay || BurstTolerance > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"Overload:BurstTolerance must be at least Overload:MaxQueueDelay ({MaxQueueDelay}) and at most 00:01:00 (is {BurstTolerance}).");
        }

        if (MaxConcurrentChecks < 0)
        {
            throw new ArgumentException($"Overload:MaxConcurrentChecks must be 0 (per-core default) or more (is {MaxConcurrentChecks}).");
        }

        if (SyncStreamsPerClient < 1)
        {
            throw new ArgumentException($"Overload:SyncStreamsPerClient must be at least 1 (is {SyncStreamsPerClient}).");
        }
    }
}
