using System.Diagnostics.Metrics;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.Overload;

/// <summary>Why a call was refused without being worked on (tag <c>reason</c> of <c>imeieir.shed</c>).</summary>
internal enum ShedReason : byte
{
    /// <summary>The queue is standing above <see cref="OverloadOptions.MaxQueueDelay"/>.</summary>
    QueueDelay,

    /// <summary><see cref="OverloadOptions.MaxConcurrentChecks"/> calls were in progress.</summary>
    Concurrency,

    /// <summary>The caller's gRPC deadline had passed, or passed during the call (CheckBatch).</summary>
    Deadline,

    /// <summary>The caller had already given up (reset the stream) when its turn came.</summary>
    Cancelled,

    /// <summary><see cref="OverloadOptions.SyncStreamsPerClient"/> RegistrySync calls of that client were open.</summary>
    ClientLimit,
}

/// <summary>
/// Overload metrics on the node's meter <c>ImeiEir</c>: <c>imeieir.shed</c> (calls refused, by interface and reason),
/// the queue delay the gate sees, checks in flight, and whether the queue is standing. Tags are precomputed: counting a
/// shed allocates nothing.
/// </summary>
internal sealed class OverloadMetrics
{
    // Index: CheckInterface (Grpc, N5gEir, S13), then Sync.
    private static readonly KeyValuePair<string, object?>[] InterfaceTags =
        [new("interface", "grpc"), new("interface", "n5g-eir"), new("interface", "s13"), new("interface", "sync")];

    private static readonly KeyValuePair<string, object?>[] ReasonTags =
        [new("reason", "queue_delay"), new("reason", "concurrency"), new("reason", "deadline"), new("reason", "cancelled"), new("reason", "client_limit")];

    /// <summary>Index of the sync interface in the tags (after the three check interfaces).</summary>
    public const int Sync = 3;

    private readonly Meter _meter;
    private readonly Counter<long> _shed;

    public OverloadMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(EirMetrics.MeterName);
        _shed = _meter.CreateCounter<long>("imeieir.shed", "{call}", "Calls refused without being worked on, by interface (grpc, n5g-eir, s13, sync) and reason (queue_delay, concurrency, deadline, cancelled, client_limit).");
    }

    /// <summary>Counts one refusal; <paramref name="interfaceIndex"/> is a <see cref="Core.Overload.CheckInterface"/> or <see cref="Sync"/>.</summary>
    public void Shed(int interfaceIndex, ShedReason reason)
    {
        if (_shed.Enabled)
        {
            _shed.Add(1, InterfaceTags[interfaceIndex], ReasonTags[(int)reason]);
        }
    }

    /// <summary>The gauges over the gate's state, read at each scrape.</summary>
    public void Observe(OverloadGate gate)
    {
        _meter.CreateObservableGauge("imeieir.overload.queue_delay", () => gate.Monitor.Delay.TotalSeconds, "s", "Thread-pool queue delay the overload gate sees (sampled about every millisecond).");
        _meter.CreateObservableGauge("imeieir.overload.standing", () => gate.Monitor.Standing ? 1 : 0, "{bool}", "1 while the check queue is standing and checks over Overload:MaxQueueDelay are shed.");
        _meter.CreateObservableGauge("imeieir.overload.in_flight", () => gate.InFlight, "{call}", "Check calls in progress (limit Overload:MaxConcurrentChecks).");
    }
}
