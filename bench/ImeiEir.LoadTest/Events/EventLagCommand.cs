using System.Text.Json;
using Grpc.Core;
using HdrHistogram;
using ImeiEir.Contracts.V1;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Events;

/// <summary>
/// <c>event-lag</c>: subscribes to a node's EventFeed for a while and measures, per event, from the check that raised
/// it (the event's <c>time</c>: when the node answered) to its arrival here. Node and tool share the machine's clock.
/// Events older than the tool's start (a backlog from earlier runs) are acknowledged and not counted.
/// </summary>
internal static class EventLagCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public const string Help = """
        event-lag: check answered -> event received by a subscriber, p50/p99 over every event of the window.
          --target URL           the node
          --key KEY              API key with role events (none: auth off)
          --group G              consumer group (default bench-lag)
          --duration D           how long to listen (default 20s)
          --json PATH            write the result
        """;

    public static async Task<int> RunAsync(Args a, CancellationToken ct)
    {
        var url = a.Required("target");
        var key = a.Get("key", "");
        var group = a.Get("group", "bench-lag");
        var duration = a.Duration("duration", TimeSpan.FromSeconds(20));
        var json = a.Get("json", "");
        a.EnsureAllRead();

        using var target = new GrpcTarget(url, 1, key);
        var feed = new EventFeed.EventFeedClient(target[0]);
        var lag = new LongHistogram(1, 3_600_000, 3); // ms
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long skipped = 0;
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        window.CancelAfter(duration);
        using var call = feed.Subscribe(new SubscribeRequest { ConsumerGroup = group, Consumer = "lag" }, target.Options(window.Token));
        var pending = new AcknowledgeRequest { ConsumerGroup = group };
        try
        {
            while (await call.ResponseStream.MoveNext(window.Token))
            {
                var e = call.ResponseStream.Current;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var at = e.Time.ToDateTimeOffset().ToUnixTimeMilliseconds();
                if (at < start)
                {
                    skipped++;
                }
                else
                {
                    lag.RecordValue(Math.Clamp(now - at, 1, 3_600_000)); // 1 ms resolution: 0 recorded as 1
                }

                pending.EventIds.Add(e.Id);
                if (pending.EventIds.Count >= 500)
                {
                    await feed.AcknowledgeAsync(pending, target.Options(ct));
                    pending.EventIds.Clear();
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && !ct.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        if (pending.EventIds.Count > 0)
        {
            await feed.AcknowledgeAsync(pending, target.Options(ct));
        }

        var result = new
        {
            kind = "event-lag",
            seconds = duration.TotalSeconds,
            events = lag.TotalCount,
            backlogSkipped = skipped,
            lagMs = new
            {
                p50 = lag.TotalCount == 0 ? 0 : lag.GetValueAtPercentile(50),
                p90 = lag.TotalCount == 0 ? 0 : lag.GetValueAtPercentile(90),
                p99 = lag.TotalCount == 0 ? 0 : lag.GetValueAtPercentile(99),
                max = lag.TotalCount == 0 ? 0 : lag.GetMaxValue(),
            },
        };
        var text = JsonSerializer.Serialize(result, Indented);
        Console.WriteLine(text);
        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, text, ct);
        }

        return lag.TotalCount > 0 ? 0 : 3;
    }
}
