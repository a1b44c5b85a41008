using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.Server.Tests.Faults;

/// <summary>
/// bench/faults/run.sh's node-kill as a test: a node process SIGKILLed with a 1 000-delta batch in flight, the same
/// batch sent again to another node, which was serving checks throughout. Whether the killed node had committed it
/// (the retry is acked as a duplicate) or not (the retry commits it), the batch is in the log exactly once, and no
/// check on the other node failed. Counts only; the suite reports the timings.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class NodeKillTests
{
    private const int Deltas = 1000;

    public enum Moment
    {
        /// <summary>Killed as soon as the batch is sent: it may be planning, committing or acking it.</summary>
        AfterSending,

        /// <summary>Killed while Redis holds its commands (<c>CLIENT PAUSE WRITE</c>): it cannot have acked it.</summary>
        WhileRedisHoldsTheCommit,
    }

    [Theory]
    [InlineData(Moment.AfterSending)]
    [InlineData(Moment.WhileRedisHoldsTheCommit)]
    public async Task NodeKilled_MidBatch_RetriedOnAnotherNode_AppliedExactlyOnce(Moment moment)
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var a = await NodeProcess.StartAsync(redis.Configuration);
        await using var b = await TestNode.StartAsync(redis.Configuration);
        await FaultLoad.SeedAsync(b, 100);
        var batch = Batch("fault-node-kill-" + moment, (int)moment);
        var load = new FaultLoad();
        BatchAck retried;
        await using (load)
        {
            load.StartChecks(b);
            await load.RunAtLeastAsync(200, 0);
            if (moment == Moment.WhileRedisHoldsTheCommit)
            {
                await redis.Cli("CLIENT", "PAUSE", "60000", "WRITE");
            }

            using (var call = a.Sync.Apply(TestNode.Auth(TestNode.AllKey)))
            {
                await call.RequestStream.WriteAsync(batch);
                a.Kill();
            }

            if (moment == Moment.WhileRedisHoldsTheCommit)
            {
                await redis.Cli("CLIENT", "UNPAUSE");
            }

            retried = (await b.ApplyAsync(batch))[0];
            await load.RunAtLeastAsync(200, 0);
        }

        Assert.True(retried.Accepted, retried.Error);
        Assert.True(load.Failed == 0, $"{load.Failed} check(s) failed: {string.Join("; ", load.Failures.Take(5))}");
        var logged = await FaultLoad.LoggedBatchesAsync(redis);
        Assert.Equal(1, logged.GetValueOrDefault(batch.BatchId));
        // The whole batch, once: its last device is there (nothing half-applied).
        Assert.Equal(Verdict.Allow, (await b.CheckAsync(Imei((int)moment, Deltas - 1), "996700000001")).Verdict);
    }

    private static DeltaBatch Batch(string id, int salt)
    {
        var batch = new DeltaBatch { BatchId = id };
        for (var i = 0; i < Deltas; i++)
        {
            batch.Deltas.Add(D.Register($"FAULT-KILL-{salt}-{i}", Imei(salt, i)));
        }

        return batch;
    }

    // Reporting body 95: no other fault data uses it.
    private static string Imei(int salt, int i) => new ImeiKey(95_000_000_000_000L + (salt * 1_000_000L) + i).ToString15();
}
