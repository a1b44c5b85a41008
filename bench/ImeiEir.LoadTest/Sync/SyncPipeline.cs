using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using HdrHistogram;
using ImeiEir.Contracts.V1;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Sync;

/// <summary>What one sync run did.</summary>
internal sealed record SyncResult(
    long Deltas,
    long Batches,
    long Accepted,
    long Duplicates,
    long Rejected,
    double Seconds,
    double DeltasPerSecond,
    double AckP50Ms,
    double AckP99Ms,
    double AckMaxMs,
    IReadOnlyList<string> Errors);

/// <summary>
/// Streams deltas into <c>RegistrySync.Apply</c> on one stream: batches of <c>batchSize</c>, up to
/// <c>window</c> batches written ahead of their acks (pipelined), acks matched in order. A rejected batch stops
/// the run (it would mean the generator and the server disagree on the contract).
/// </summary>
internal static class SyncPipeline
{
    public static async Task<SyncResult> RunAsync(
        GrpcTarget target,
        IEnumerable<Delta> deltas,
        long expectedTotal,
        int batchSize,
        int window,
        string idPrefix,
        string label,
        CancellationToken ct,
        double deltasPerSecond = 0)
    {
        var client = new RegistrySync.RegistrySyncClient(target[0]);
        using var call = client.Apply(target.Options(ct));
        var inFlight = new SemaphoreSlim(window, window);
        var sent = new ConcurrentQueue<(long Started, int Count)>();
        var ackLatency = new LongHistogram(1, TimeStamp.Minutes(10), 3);
        var errors = new ConcurrentQueue<string>();
        long ackedDeltas = 0, batches = 0, accepted = 0, duplicates = 0, rejected = 0;
        var sw = Stopwatch.StartNew();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var reader = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync(CancellationToken.None))
            {
                sent.TryDequeue(out var s);
                ackLatency.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - s.Started));
                Interlocked.Increment(ref batches);
                if (ack.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                    if (ack.Duplicate)
                    {
                        Interlocked.Increment(ref duplicates);
                    }

                    Interlocked.Add(ref ackedDeltas, s.Count);
                }
                else
                {
                    Interlocked.Increment(ref rejected);
                    var detail = string.Join("; ", ack.Errors.Take(5).Select(e => $"[{e.Index}] {e.Message}"));
                    errors.Enqueue($"batch {ack.BatchId} rejected: {ack.Error} {detail}");
                    await failed.CancelAsync();
                }

                inFlight.Release();
            }
        }, CancellationToken.None);

        await using (new ConsoleProgress(() =>
        {
            var done = Interlocked.Read(ref ackedDeltas);
            var fraction = expectedTotal > 0 ? (double)done / expectedTotal : 0;
            var rate = done / Math.Max(0.001, sw.Elapsed.TotalSeconds);
            return $"{label} {ConsoleProgress.Bar(fraction)} {fraction,4:P0} {done:N0}/{expectedTotal:N0} deltas acked  {rate:N0} deltas/s  {ConsoleProgress.Eta(sw, fraction)}";
        }))
        {
            try
            {
                var index = 0L;
                var sent0 = 0L;
                foreach (var chunk in deltas.Chunk(batchSize))
                {
                    if (deltasPerSecond > 0)
                    {
                        // Paced: batch k is sent no earlier than k * batchSize / rate after the start.
                        var due = TimeSpan.FromSeconds(sent0 / deltasPerSecond) - sw.Elapsed;
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, failed.Token);
                        }
                    }

                    sent0 += chunk.Length;
                    await inFlight.WaitAsync(failed.Token);
                    var batch = new DeltaBatch { BatchId = $"{idPrefix}-{index++:D8}" };
                    batch.Deltas.AddRange(chunk);
                    sent.Enqueue((Stopwatch.GetTimestamp(), chunk.Length));
                    await call.RequestStream.WriteAsync(batch, failed.Token);
                }

                await call.RequestStream.CompleteAsync();
            }
            catch (OperationCanceledException) when (failed.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // A rejected batch: stop writing; the reader has the reason.
            }
            catch (RpcException ex)
            {
                errors.Enqueue($"Apply failed: {ex.StatusCode} {ex.Status.Detail}");
            }

            try
            {
                await reader;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled || !errors.IsEmpty)
            {
            }
            catch (RpcException ex)
            {
                errors.Enqueue($"Apply failed: {ex.StatusCode} {ex.Status.Detail}");
            }
        }

        sw.Stop();
        var seconds = sw.Elapsed.TotalSeconds;
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new SyncResult(
            ackedDeltas,
            batches,
            accepted,
            duplicates,
            rejected,
            seconds,
            ackedDeltas / Math.Max(1e-9, seconds),
            Ms(ackLatency.GetValueAtPercentile(50)),
            Ms(ackLatency.GetValueAtPercentile(99)),
            Ms(ackLatency.GetMaxValue()),
            [.. errors]);
    }
}
