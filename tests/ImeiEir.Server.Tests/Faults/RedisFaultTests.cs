using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests.Faults;

/// <summary>
/// The fast scenarios of the fault suite (bench/faults/run.sh runs them with processes and reports their timings):
/// whatever Redis does, checks are answered from memory and never fail, and no acked batch is lost or applied twice.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed partial class RedisFaultTests
{
    [GeneratedRegex(@"(?m)^imeieir_sync_refused(\{[^}]*\})? 1( |$)")]
    private static partial Regex SyncRefused();

    [Fact]
    public async Task RedisKilled_DuringChecksAndApply_NoCheckFailsNoAckedBatchLostOrTwice()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var a = await TestNode.StartAsync(redis.Configuration);
        await using var b = await TestNode.StartAsync(redis.Configuration);
        await FaultLoad.SeedAsync(a, 100);
        await FaultLoad.SeededOnAsync(100, b);
        var load = new FaultLoad();
        await using (load)
        {
            load.StartChecks(a, b);
            load.StartSync(a, "kill");
            await load.RunAtLeastAsync(200, 20);
            await redis.StopAsync();
            await load.RunAtLeastAsync(200, 0);
            await redis.StartAsync();
            await load.RunAtLeastAsync(200, 20);
        }

        Assert.True(load.Failed == 0, $"{load.Failed} check(s) failed: {string.Join("; ", load.Failures.Take(5))}");
        await AssertEachAckedOnceAsync(redis, load.Acked);
        Assert.All(load.SyncFailures, s => Assert.Equal(StatusCode.Unavailable, s));
    }

    [Fact]
    public async Task RedisRestartedEmpty_SyncRefused_ChecksServed_AlertMetricSet()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var a = await TestNode.StartAsync(redis.Configuration);
        await FaultLoad.SeedAsync(a, 100);
        var load = new FaultLoad();
        await using (load)
        {
            load.StartChecks(a);
            await load.RunAtLeastAsync(200, 0);
            await redis.WipeAsync();
            await redis.StartAsync();
            using var http = new HttpClient();
            var refused = await Eventually.ReachAsync(
                async () => await http.GetStringAsync($"http://127.0.0.1:{a.AdminPort}/metrics"),
                m => SyncRefused().IsMatch(m));
            Assert.Matches(SyncRefused(), refused);
            var batch = new DeltaBatch { BatchId = "after-wipe" };
            batch.Deltas.Add(new Delta { RegisterDevice = new RegisterDevice { DeviceId = "AFTER", Imeis = { FaultLoad.SeededImei(500) } } });
            var ex = await Assert.ThrowsAsync<RpcException>(() => a.ApplyAsync(batch));
            Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
            await load.RunAtLeastAsync(200, 0);
        }

        Assert.True(load.Failed == 0, $"{load.Failed} check(s) failed: {string.Join("; ", load.Failures.Take(5))}");
        // The node kept its data: the empty Redis was not adopted.
        Assert.Equal(Verdict.Allow, (await a.CheckAsync(FaultLoad.SeededImei(1), "996700000001")).Verdict);
    }

    [Fact]
    public async Task SlowRedis_ClientPause_ChecksServed_NoAckedBatchLostOrTwice()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var a = await TestNode.StartAsync(redis.Configuration);
        await using var b = await TestNode.StartAsync(redis.Configuration);
        await FaultLoad.SeedAsync(a, 100);
        await FaultLoad.SeededOnAsync(100, b);
        var load = new FaultLoad();
        await using (load)
        {
            load.StartChecks(a, b);
            load.StartSync(a, "slow");
            await load.RunAtLeastAsync(200, 20);
            // Every command, reads included, waits 3 s: longer than a check could ever wait.
            await redis.Cli("CLIENT", "PAUSE", "3000", "ALL");
            await load.RunAtLeastAsync(500, 0);
            await load.RunAtLeastAsync(200, 20);
        }

        Assert.True(load.Failed == 0, $"{load.Failed} check(s) failed: {string.Join("; ", load.Failures.Take(5))}");
        await AssertEachAckedOnceAsync(redis, load.Acked);
    }

    [Fact]
    public async Task RedisKilled_AfterCommitWhileAckWaitsForReplicas_BatchAnsweredUnavailable()
    {
        // No replica, and WAIT given a minute: the commit is in Redis and the ack waits in WAIT when Redis dies. The
        // batch must be answered (UNAVAILABLE: the sender retries, and its retry is then acked as a duplicate), not
        // left without an answer.
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var a = await TestNode.StartAsync(redis.Configuration, new Dictionary<string, string?>
        {
            ["Redis:AckReplicas"] = "1",
            ["Redis:AckReplicasTimeout"] = "00:01:00",
        });
        var batch = new DeltaBatch { BatchId = "wait-then-kill" };
        batch.Deltas.Add(D.Register("WAIT-KILL", FaultLoad.SeededImei(700)));

        var applying = a.ApplyAsync(batch);
        var clients = await Eventually.ReachAsync(async () => string.Join('\n', await redis.Cli("INFO", "clients")), info => info.Contains("blocked_clients:1", StringComparison.Ordinal));
        Assert.Contains("blocked_clients:1", clients, StringComparison.Ordinal);
        await redis.StopAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => applying);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    private static async Task AssertEachAckedOnceAsync(RedisServer redis, List<string> acked)
    {
        Assert.NotEmpty(acked);
        var logged = await FaultLoad.LoggedBatchesAsync(redis);
        var lost = acked.Where(id => !logged.ContainsKey(id)).ToList();
        var twice = acked.Where(id => logged.GetValueOrDefault(id) > 1).ToList();
        Assert.True(lost.Count == 0, "lost: " + string.Join(", ", lost.Take(5)) + " of " + acked.Count.ToString(CultureInfo.InvariantCulture));
        Assert.Empty(twice);
    }
}
