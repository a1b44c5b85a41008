using System.Diagnostics.Metrics;
using ImeiEir.Core.Events;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.Events;

/// <summary>Event metrics on the node's meter (<c>ImeiEir</c>): raised by kind, repeats the cluster dropped, the queue and its drops.</summary>
internal sealed class EventsMetrics
{
    private static readonly KeyValuePair<string, object?>[] KindTags =
    [
        new("kind", "unspecified"), new("kind", "grace_started"), new("kind", "grace_expiring"), new("kind", "switch_required"),
        new("kind", "not_registered"), new("kind", "stolen_seen"), new("kind", "auto_whitelisted"), new("kind", "clone_suspected"),
    ];

    private readonly Counter<long> _raised;
    private readonly Counter<long> _repeats;
    private readonly Counter<long> _failures;

    public EventsMetrics(IMeterFactory factory, EventQueue queue)
    {
        var meter = factory.Create(EirMetrics.MeterName);
        _raised = meter.CreateCounter<long>("imeieir.events.raised", "{event}", "Events appended to the streams by this node, by kind.");
        _repeats = meter.CreateCounter<long>("imeieir.events.repeats", "{event}", "Observations another node (or this one, before a restart) had raised within the window.");
        _failures = meter.CreateCounter<long>("imeieir.events.publish_failures", "{attempt}", "Failed attempts to reach Redis (each retried).");
        meter.CreateObservableCounter("imeieir.events.dropped", () => queue.Dropped, "{observation}", "Observations dropped because the queue was full (Events:QueueCapacity).");
        meter.CreateObservableGauge("imeieir.events.queue", () => queue.Count, "{observation}", "Observations waiting for the publisher.");
    }

    public void Raised(EventKind kind) => _raised.Add(1, KindTags[(int)kind & 7]);

    public void Repeat(EventKind kind) => _repeats.Add(1, KindTags[(int)kind & 7]);

    public void Failed() => _failures.Add(1);
}
