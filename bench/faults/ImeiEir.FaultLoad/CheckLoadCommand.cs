using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.FaultLoad;

/// <summary>
/// <c>checks</c>: unary Check calls at a fixed rate (open model), round-robin over the targets. Call <i>i</i> is due
/// at start + i / rate whatever the nodes do, and its latency counts from that due time, so a stall is charged to
/// every call that waited behind it. A call gets the deadline (gRPC) from when it is sent; a call answered OK but
/// after the deadline from its due time counts as late. 90 % ask for seeded devices (ALLOW), 10 % for unknown ones
/// (DENY): a wrong verdict is a failed check.
/// </summary>
internal static class CheckLoadCommand
{
    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var targets = o.List("targets");
        var key = o.Get("key", "");
        var rate = o.Int("rate", 500);
        var duration = o.Duration("for", TimeSpan.FromSeconds(30));
        var deadline = o.Duration("deadline", TimeSpan.FromSeconds(2));
        var devices = o.Int("devices", 2000);
        var json = o.Get("json", "");
        var samplesPath = o.Get("samples", "");
        o.EnsureAllRead();

        var channels = targets.Select(FaultData.Channel).ToArray();
        var clients = channels.Select(c => new EquipmentCheck.EquipmentCheckClient(c)).ToArray();
        var headers = FaultData.Auth(key);

        // This process's own cold start (JIT of the gRPC client, the HTTP/2 connection) is not the nodes': without
        // this, the calls due in the first few hundred ms wait in this process and then reach the node all at once.
        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            await channels[i].ConnectAsync(ct);
            for (var w = 0; w < 20; w++)
            {
                await client.CheckAsync(new CheckRequest { Imei = FaultData.SeededImei(w), Msisdn = "996700000001" }, headers, DateTime.UtcNow + deadline, ct);
            }
        }

        var samples = new ConcurrentQueue<CheckSample>();
        var inFlight = new List<Task>();
        var startMs = FaultData.NowMs;
        var clock = Stopwatch.StartNew();
        var total = (long)(duration.TotalSeconds * rate);
        var ticksPerCall = Stopwatch.Frequency / (double)rate;
        long sent = 0;
        while (sent < total && !ct.IsCancellationRequested)
        {
            var due = (long)(clock.ElapsedTicks / ticksPerCall) + 1;
            for (; sent < Math.Min(due, total); sent++)
            {
                var i = sent;
                var dueTicks = (long)(i * ticksPerCall);
                inFlight.Add(CallAsync(clients[i % clients.Length], (int)(i % clients.Length), i, dueTicks));
            }

            if (inFlight.Count > 4096)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }

            await Task.Delay(1, CancellationToken.None);
        }

        await Task.WhenAll(inFlight);
        foreach (var c in channels)
        {
            c.Dispose();
        }

        var all = samples.ToArray();
        var summary = CheckSummary.Of(all, deadline);
        Console.WriteLine($"checks: {rate}/s for {duration.TotalSeconds:F0} s on {targets.Length} node(s): {summary.ToLine()}");
        if (samplesPath.Length > 0)
        {
            await File.WriteAllLinesAsync(samplesPath, all.OrderBy(s => s.DueMs).Select(s => s.ToLine()), CancellationToken.None);
        }

        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { rate, seconds = duration.TotalSeconds, targets, deadlineMs = deadline.TotalMilliseconds, summary }), CancellationToken.None);
        }

        return 0;

        async Task CallAsync(EquipmentCheck.EquipmentCheckClient client, int target, long i, long dueTicks)
        {
            var known = i % 10 != 0;
            var n = (int)((i * 7919) % devices);
            var request = new CheckRequest { Imei = known ? FaultData.SeededImei(n) : FaultData.UnknownImei(n), Msisdn = "996700000001" };
            var status = StatusCode.OK;
            var wrong = false;
            try
            {
                var reply = await client.CheckAsync(request, headers, DateTime.UtcNow + deadline, ct);
                wrong = reply.Verdict != (known ? Verdict.Allow : Verdict.Deny);
            }
            catch (RpcException ex)
            {
                status = ex.StatusCode;
            }

            var latencyUs = (long)((clock.ElapsedTicks - dueTicks) * 1_000_000.0 / Stopwatch.Frequency);
            samples.Enqueue(new CheckSample(startMs + (long)(dueTicks * 1000.0 / Stopwatch.Frequency), latencyUs, status, wrong, target));
        }
    }
}
