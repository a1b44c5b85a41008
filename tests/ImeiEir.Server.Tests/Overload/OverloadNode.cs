using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ImeiEir.Server.Overload;
using ImeiEir.Server.Tests.N5gEir;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// A ready node with the N5g-eir seed and overload settings small enough to reach without load: one check call in
/// flight, two RegistrySync calls per client. Its queue-delay limits are far above anything a test machine shows
/// (10 s, tolerated for 1 min), so only the tests decide when it sheds (<see cref="QueueDelayMonitor.Freeze"/>).
/// </summary>
public sealed class OverloadNode : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public TestNode Node { get; private set; } = null!;

    internal OverloadGate Gate => Node.Services.GetRequiredService<OverloadGate>();

    internal QueueDelayMonitor Monitor => Gate.Monitor;

    /// <summary><c>imeieir.shed</c> as this node counts it: (interface, reason) → count.</summary>
    public ConcurrentDictionary<(string Interface, string Reason), long> Shed { get; } = new();

    private MeterListener? _listener;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        Node = await TestNode.StartAsync(_redis.Configuration, new Dictionary<string, string?>
        {
            ["Overload:MaxConcurrentChecks"] = "1",
            ["Overload:MaxQueueDelay"] = "00:00:10",
            ["Overload:BurstTolerance"] = "00:01:00",
            ["Overload:SyncStreamsPerClient"] = "2",
        });
        var ack = await Node.ApplyOneAsync("overload-seed", Ids.Seed());
        Assert.True(ack.Accepted, ack.Error);

        // Only this node's meter (each host has its own meter factory): other nodes in the process do not count.
        var scope = Node.Services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "imeieir.shed" && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? via = null, reason = null;
            foreach (var t in tags)
            {
                via = t.Key == "interface" ? t.Value as string : via;
                reason = t.Key == "reason" ? t.Value as string : reason;
            }

            Shed.AddOrUpdate((via ?? "", reason ?? ""), value, (_, n) => n + value);
        });
        _listener.Start();
    }

    public long ShedCount(string via, string reason) => Shed.TryGetValue((via, reason), out var n) ? n : 0;

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        await Node.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
