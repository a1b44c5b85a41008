using System.Diagnostics;
using System.Diagnostics.Metrics;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Storage;

namespace ImeiEir.Server.Hosting;

/// <summary>
/// The node's metrics (meter <c>ImeiEir</c>, exported at <c>/metrics</c> on the Admin endpoint): checks by reason, check
/// latency, index sequence and size, sync lag, Redis connectivity. Recording a check costs a counter add and a
/// histogram record, no allocation.
/// </summary>
internal sealed class EirMetrics
{
    public const string MeterName = "ImeiEir";

    // Tag values precomputed: no string built per check.
    private static readonly KeyValuePair<string, object?>[] ReasonTags =
    [
        new("reason", "unspecified"), new("reason", "registered"), new("reason", "bound_subscriber"),
        new("reason", "number_switch_grace"), new("reason", "roaming_exempt"), new("reason", "auto_whitelisted"),
        new("reason", "stolen"), new("reason", "not_registered"), new("reason", "number_switch_required"),
        new("reason", "invalid_request"),
    ];

    private readonly Counter<long> _checks;
    private readonly Histogram<double> _duration;

    public EirMetrics(IMeterFactory factory, EirIndex index, LogFollower follower, SyncRefusal refusal, RedisConnectionProvider redis, ClusterGraceMarks marks)
    {
        var meter = factory.Create(MeterName);
        _checks = meter.CreateCounter<long>("imeieir.checks", "{check}", "Checks answered, by reason.");
        _duration = meter.CreateHistogram(
            "imeieir.check.duration",
            "s",
            "Time to decide one check (or one CheckBatch call), excluding transport.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.000_000_5, 0.000_001, 0.000_002, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.001, 0.01, 0.1] });
        meter.CreateObservableGauge("imeieir.index.sequence", () => index.Current.Sequence, "{batch}", "Sequence of the data this node serves.");
        meter.CreateObservableGauge("imeieir.index.registered_imeis", () => index.Current.Counts.RegisteredImeis, "{imei}");
        meter.CreateObservableGauge("imeieir.index.bindings", () => index.Current.Counts.Bindings, "{binding}");
        meter.CreateObservableGauge("imeieir.index.stolen_imeis", () => index.Current.Counts.StolenImeis, "{imei}");
        meter.CreateObservableGauge("imeieir.index.subscribers", () => index.Current.Counts.Subscribers, "{subscriber}");
        meter.CreateObservableGauge("imeieir.index.snapshot_size", () => index.Current.SnapshotBytes, "By", "Bytes of the compact snapshot.");
        meter.CreateObservableGauge("imeieir.index.overlay_entries", () => index.Current.OverlayEntries, "{entry}", "Changes not yet compacted.");
        meter.CreateObservableGauge("imeieir.index.loaded", () => index.IsLoaded ? 1 : 0, "{bool}", "1 once the node serves its data.");
        meter.CreateObservableGauge("imeieir.sync.lag", () => follower.StoreSequence - index.Current.Sequence, "{batch}", "Batches in Redis not yet applied here.");
        meter.CreateObservableGauge("imeieir.sync.refused", () => refusal.Reason is null ? 0 : 1, "{bool}", "1 while Redis' history does not match (sync refused).");
        meter.CreateObservableGauge("imeieir.redis.connected", () => redis.IsConnected ? 1 : 0, "{bool}");
        meter.CreateObservableGauge("imeieir.grace.marks", () => marks.Count, "{mark}");
        meter.CreateObservableGauge("imeieir.grace.pending", () => marks.Pending, "{mark}", "Grace marks not yet merged into Redis.");
    }

    public long Start() => _duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public void Checked(in CheckResult result, long started)
    {
        Counted(in result);
        Elapsed(started);
    }

    public void Counted(in CheckResult result)
    {
        if (_checks.Enabled)
        {
            var reason = result.IsValid ? (int)result.Decision.Reason : (int)Reason.InvalidRequest;
            _checks.Add(1, ReasonTags[reason]);
        }
    }

    public void Elapsed(long started)
    {
        if (started != 0)
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
