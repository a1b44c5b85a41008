using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using StackExchange.Redis;

namespace ImeiEir.Server.Tests.Faults;

/// <summary>
/// What the fault tests run through a fault (as bench/faults/run.sh does with processes): checks in a loop counting
/// the ones that failed (any status but OK, or a wrong verdict), and a sync feed sending one batch at a time, each
/// retried with the same batch id until acked, remembering every acked id. No deadlines: counts, not timings.
/// </summary>
internal sealed class FaultLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _served;
    private long _failed;

    public long Served => Interlocked.Read(ref _served);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>What went wrong with each failed check (a status or a wrong verdict), for the assertion's message.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

    public List<string> Acked { get; } = [];

    public List<StatusCode> SyncFailures { get; } = [];

    public static string SeededImei(int i) => new ImeiKey(93_000_000_000_000L + i).ToString15();

    /// <summary>Registers <paramref name="devices"/> devices the checks ask about.</summary>
    public static async Task SeedAsync(TestNode node, int devices)
    {
        var batch = new DeltaBatch { BatchId = "fault-seed" };
        for (var i = 0; i < devices; i++)
        {
            var r = new RegisterDevice { DeviceId = "FAULT-SEED-" + i };
            r.Imeis.Add(SeededImei(i));
            batch.Deltas.Add(new Delta { RegisterDevice = r });
        }

        Assert.True((await node.ApplyAsync(batch))[0].Accepted);
    }

    /// <summary>
    /// Waits until each node answers the last seeded IMEI with ALLOW: a node seeded through another one has it only once
    /// it followed the seed's batch, and a check sent before that is rightly answered NOT_REGISTERED.
    /// </summary>
    public static async Task SeededOnAsync(int devices, params TestNode[] nodes)
    {
        foreach (var node in nodes)
        {
            await Eventually.ReachAsync(() => node.CheckAsync(SeededImei(devices - 1), "996700000001"), r => r.Verdict == Verdict.Allow);
        }
    }

    /// <summary>Checks on each node, one after another, until stopped: seeded IMEIs (ALLOW), every tenth unknown (DENY).</summary>
    public void StartChecks(params TestNode[] nodes)
    {
        foreach (var node in nodes)
        {
            _loops.Add(Task.Run(async () =>
            {
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    var known = i % 10 != 0;
                    var imei = known ? SeededImei(i % 100) : new ImeiKey(92_000_000_000_000L + i).ToString15();
                    try
                    {
                        var reply = await node.CheckAsync(imei, "996700000001");
                        var expected = known ? Verdict.Allow : Verdict.Deny;
                        if (reply.Verdict != expected)
                        {
                            Failures.Enqueue($"check {i}: {reply.Verdict} ({reply.Reason}), expected {expected}");
                        }

                        Interlocked.Increment(ref reply.Verdict == expected ? ref _served : ref _failed);
                    }
                    catch (RpcException ex)
                    {
                        Failures.Enqueue($"check {i}: {ex.StatusCode} {ex.Status.Detail}");
                        Interlocked.Increment(ref _failed);
                    }
                }
            }));
        }
    }

    /// <summary>Batches of one new device through <paramref name="node"/>, each retried until acked, until stopped.</summary>
    public void StartSync(TestNode node, string run)
    {
        _loops.Add(Task.Run(async () =>
        {
            for (var n = 0; !_stop.IsCancellationRequested; n++)
            {
                var batch = new DeltaBatch { BatchId = $"fault-{run}-{n}" };
                var r = new RegisterDevice { DeviceId = $"FAULT-{run}-{n}" };
                r.Imeis.Add(new ImeiKey(94_000_000_000_000L + n).ToString15());
                batch.Deltas.Add(new Delta { RegisterDevice = r });
                while (true)
                {
                    try
                    {
                        var ack = (await node.ApplyAsync(batch))[0];
                        Assert.True(ack.Accepted, ack.Error);
                        lock (Acked)
                        {
                            Acked.Add(batch.BatchId);
                        }

                        break;
                    }
                    catch (RpcException ex)
                    {
                        lock (SyncFailures)
                        {
                            SyncFailures.Add(ex.StatusCode);
                        }

                        await Task.Delay(100);
                    }
                }
            }
        }));
    }

    /// <summary>Waits until at least <paramref name="more"/> more checks were answered and batches acked (progress, not time).</summary>
    public async Task RunAtLeastAsync(int moreChecks, int moreAcks)
    {
        var checks = Served + Failed + moreChecks;
        int acks;
        lock (Acked)
        {
            acks = Acked.Count + moreAcks;
        }

        await Eventually.ReachAsync(
            () => Task.FromResult((Served + Failed, AckCount())),
            p => p.Item1 >= checks && p.Item2 >= acks,
            TimeSpan.FromSeconds(90));
    }

    private int AckCount()
    {
        lock (Acked)
        {
            return Acked.Count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    /// <summary>How often each batch id is in the Redis log.</summary>
    public static async Task<Dictionary<string, int>> LoggedBatchesAsync(RedisServer redis)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in await mux.GetDatabase().StreamRangeAsync("eir:log", "-", "+"))
        {
            var id = e["b"].ToString();
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        return counts;
    }
}
