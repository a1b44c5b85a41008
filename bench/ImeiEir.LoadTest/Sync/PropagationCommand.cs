using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using HdrHistogram;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Sync;

/// <summary>
/// <c>propagation</c>: from the ack of a change on node A to the same answer on node B. Changes alternate: register
/// a fresh device (B must turn NOT_REGISTERED into REGISTERED), then report it stolen (REGISTERED into STOLEN).
/// After each ack, B is polled back to back with unary checks until it answers the new way; the time from the
/// ack to that answer is the propagation delay (its resolution is one check round trip, a fraction of a ms).
/// Node A itself must answer the new way right at the ack (the contract); a miss is counted.
/// </summary>
internal static class PropagationCommand
{
    public const string Help = """
        propagation: ack on node A -> same answer on node B.
          --a URL --b URL        the two nodes (same Redis)
          --key KEY              API key with roles sync and check
          --changes N            changes to time (default 200)
          --interval D           pause between changes (default 20ms)
          --timeout D            give up on one change after (default 10s)
          --salt N               unique ids per run (default: from the clock)
          --json PATH            write the result
        """;

    private const string HomeImsi = "437011234567890";

    public static async Task<int> RunAsync(Args a, CancellationToken ct)
    {
        var urlA = a.Required("a");
        var urlB = a.Required("b");
        var key = a.Get("key", "");
        var changes = a.Int("changes", 200);
        var interval = a.Duration("interval", TimeSpan.FromMilliseconds(20));
        var timeout = a.Duration("timeout", TimeSpan.FromSeconds(10));
        var salt = a.Long("salt", DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000);
        var json = a.Get("json", "");
        a.EnsureAllRead();

        using var nodeA = new GrpcTarget(urlA, 1, key);
        using var nodeB = new GrpcTarget(urlB, 1, key);
        var checkA = new EquipmentCheck.EquipmentCheckClient(nodeA[0]);
        var checkB = new EquipmentCheck.EquipmentCheckClient(nodeB[0]);
        using var apply = new RegistrySync.RegistrySyncClient(nodeA[0]).Apply(nodeA.Options(ct));
        var propagation = new LongHistogram(1, TimeStamp.Minutes(1), 3);
        var ackLatency = new LongHistogram(1, TimeStamp.Minutes(1), 3);
        long polls = 0, staleOnA = 0, timeouts = 0, alreadyOnB = 0;
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

        string imei = "";
        for (var k = 0; k < changes; k++)
        {
            var delta = new Delta();
            Reason expected;
            if (k % 2 == 0)
            {
                imei = new ImeiKey(96_000_000_000_000L + ((salt * 1_000_000L) + k) % 1_000_000_000_000L).ToString15();
                var register = new RegisterDevice { DeviceId = $"PR{salt}-{k}" };
                register.Imeis.Add(imei);
                delta.RegisterDevice = register;
                expected = Reason.Registered;
            }
            else
            {
                delta.ReportStolen = new ReportStolen { Imei = imei, CaseReference = $"PROP-{salt}-{k}" };
                expected = Reason.Stolen;
            }

            var request = new CheckRequest { Imei = imei, Imsi = HomeImsi };
            var batch = new DeltaBatch { BatchId = $"prop-{salt}-{k}" };
            batch.Deltas.Add(delta);
            var sent = Stopwatch.GetTimestamp();
            await apply.RequestStream.WriteAsync(batch, ct);
            if (!await apply.ResponseStream.MoveNext(ct))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "Apply stream ended"));
            }

            var acked = Stopwatch.GetTimestamp();
            var ack = apply.ResponseStream.Current;
            if (!ack.Accepted)
            {
                Console.Error.WriteLine($"change {k} rejected: {ack.Error} {string.Join("; ", ack.Errors.Select(e => e.Message))}");
                return 1;
            }

            ackLatency.RecordValue(Math.Max(1, acked - sent));
            var first = true;
            while (true)
            {
                var r = await checkB.CheckAsync(request, nodeB.Options(ct));
                polls++;
                if (r.Reason == expected)
                {
                    var seen = Stopwatch.GetTimestamp();
                    propagation.RecordValue(Math.Max(1, seen - acked));
                    if (first)
                    {
                        alreadyOnB++;
                    }

                    break;
                }

                first = false;
                if (Stopwatch.GetElapsedTime(acked) > timeout)
                {
                    timeouts++;
                    break;
                }
            }

            var onA = await checkA.CheckAsync(request, nodeA.Options(ct));
            if (onA.Reason != expected)
            {
                staleOnA++;
            }

            if (!Console.IsOutputRedirected)
            {
                Console.Write($"\rpropagation {k + 1}/{changes}  p50 {Ms(propagation.GetValueAtPercentile(50)):F2} ms  p99 {Ms(propagation.GetValueAtPercentile(99)):F2} ms   ");
            }

            await Task.Delay(interval, ct);
        }

        await apply.RequestStream.CompleteAsync();
        var result = new
        {
            kind = "propagation",
            changes,
            intervalMs = interval.TotalMilliseconds,
            propagationMs = new
            {
                p50 = Ms(propagation.GetValueAtPercentile(50)),
                p90 = Ms(propagation.GetValueAtPercentile(90)),
                p99 = Ms(propagation.GetValueAtPercentile(99)),
                max = Ms(propagation.GetMaxValue()),
                mean = propagation.GetMean() * 1000.0 / Stopwatch.Frequency,
            },
            ackMs = new { p50 = Ms(ackLatency.GetValueAtPercentile(50)), p99 = Ms(ackLatency.GetValueAtPercentile(99)), max = Ms(ackLatency.GetMaxValue()) },
            pollsOnB = polls,
            answeredOnFirstPoll = alreadyOnB,
            timeouts,
            staleOnAckingNode = staleOnA,
        };
        Console.WriteLine();
        Console.WriteLine($"propagation over {changes} changes: p50 {result.propagationMs.p50:F2} ms, p90 {result.propagationMs.p90:F2} ms, p99 {result.propagationMs.p99:F2} ms, max {result.propagationMs.max:F2} ms; " +
            $"ack p50 {result.ackMs.p50:F2} ms; {timeouts} timeouts; {staleOnA} stale answers on the acking node; {alreadyOnB} already on B at the first poll");
        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, Report.RunReport.Json), ct);
        }

        return timeouts > 0 || staleOnA > 0 ? 1 : 0;
    }
}
