using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.FaultLoad;

/// <summary>
/// <c>sync</c>: one batch at a time on an Apply stream, as a registry feed would send them; a batch that fails (an
/// error status, or no ack within 10 s) is sent again with the same batch id on a new stream until it is acked, so
/// the batch ids acked are exactly the ones sent. Each ack is one JSON line in <c>--acks</c>; the summary holds every
/// failed attempt's status and the longest time without an ack.
/// </summary>
internal static class SyncLoadCommand
{
    private static readonly TimeSpan AckPatience = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var url = o.Required("target");
        var key = o.Get("key", "");
        var duration = o.Duration("for", TimeSpan.FromSeconds(30));
        var batchSize = o.Int("batch", 10);
        var run = o.Get("run", "r" + FaultData.NowMs.ToString(CultureInfo.InvariantCulture));
        var acksPath = o.Get("acks", "");
        var json = o.Get("json", "");
        var giveUp = o.Duration("give-up", TimeSpan.FromSeconds(120));
        var maxBatches = o.Int("batches", int.MaxValue);
        var sentPath = o.Get("sent", "");
        o.EnsureAllRead();

        // Stable across processes (string.GetHashCode is not): a retry from another process sends the same content.
        var salt = (long)(run.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u) % 1_000_000);
        using var channel = FaultData.Channel(url);
        var client = new RegistrySync.RegistrySyncClient(channel);
        var headers = FaultData.Auth(key);
        await using var acks = acksPath.Length == 0 ? StreamWriter.Null : new StreamWriter(acksPath, append: false) { AutoFlush = true };
        var failures = new List<object>();
        var failedByStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        var until = DateTime.UtcNow + duration;
        long acked = 0, duplicates = 0, longestGapMs = 0, lastAckMs = FaultData.NowMs;
        AsyncDuplexStreamingCall<DeltaBatch, BatchAck>? call = null;
        for (var n = 0L; n < maxBatches && DateTime.UtcNow < until && !ct.IsCancellationRequested; n++)
        {
            var batch = new DeltaBatch { BatchId = $"fault-{run}-{n}" };
            for (var j = 0; j < batchSize; j++)
            {
                var register = new RegisterDevice { DeviceId = $"FAULT-{run}-{n}-{j}" };
                register.Imeis.Add(FaultData.SyncImei(salt, (n * batchSize) + j));
                batch.Deltas.Add(new Delta { RegisterDevice = register });
            }

            var firstTry = DateTime.UtcNow;
            while (true)
            {
                try
                {
                    call ??= client.Apply(headers, cancellationToken: ct);
                    using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    patience.CancelAfter(AckPatience);
                    await call.RequestStream.WriteAsync(batch, patience.Token);
                    if (sentPath.Length > 0)
                    {
                        // Tells a fault script the batch is on its way (node-kill: the node dies with it in flight).
                        await File.WriteAllTextAsync(sentPath, batch.BatchId, CancellationToken.None);
                    }

                    if (!await call.ResponseStream.MoveNext(patience.Token))
                    {
                        throw new RpcException(new Status(StatusCode.Unavailable, "the stream ended without an ack"));
                    }

                    var ack = call.ResponseStream.Current;
                    if (!ack.Accepted)
                    {
                        // A refused batch is a bug of this tool or of the node: nothing to retry.
                        Console.Error.WriteLine($"sync: batch {batch.BatchId} refused: {ack.Error}");
                        return 1;
                    }

                    var now = FaultData.NowMs;
                    longestGapMs = Math.Max(longestGapMs, now - lastAckMs);
                    lastAckMs = now;
                    acked++;
                    duplicates += ack.Duplicate ? 1 : 0;
                    await acks.WriteLineAsync(JsonSerializer.Serialize(new { id = batch.BatchId, seq = ack.Sequence, dup = ack.Duplicate, ms = now }));
                    break;
                }
                catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException && !ct.IsCancellationRequested)
                {
                    var status = ex is RpcException r ? r.StatusCode.ToString() : "NoAckIn10s";
                    failedByStatus[status] = failedByStatus.GetValueOrDefault(status) + 1;
                    if (failures.Count < 200)
                    {
                        var detail = ex is RpcException re ? re.Status.Detail : ex.GetType().Name;
                        failures.Add(new { ms = FaultData.NowMs, id = batch.BatchId, status, detail = detail.Length > 160 ? detail[..160] : detail });
                    }

                    call?.Dispose();
                    call = null;
                    if (DateTime.UtcNow - firstTry > giveUp)
                    {
                        Console.Error.WriteLine($"sync: batch {batch.BatchId} not acked after {giveUp.TotalSeconds:F0} s; giving up");
                        return 1;
                    }

                    await Task.Delay(100, ct);
                }
            }
        }

        if (call is not null)
        {
            await call.RequestStream.CompleteAsync();
            call.Dispose();
        }

        var failed = failedByStatus.Values.Sum();
        Console.WriteLine($"sync: {acked} batches acked ({duplicates} as duplicates of a retried one), {failed} failed attempts{(failed == 0 ? "" : " (" + string.Join(", ", failedByStatus.Select(kv => $"{kv.Key} {kv.Value}")) + ")")}, longest time without an ack {longestGapMs} ms");
        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { acked, duplicates, failedByStatus, longestGapMs, failures }), CancellationToken.None);
        }

        return 0;
    }
}
