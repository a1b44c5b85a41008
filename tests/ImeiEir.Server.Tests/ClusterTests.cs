using Grpc.Core;
using Grpc.Health.V1;
using ImeiEir.Contracts.V1;
using ImeiEir.Storage;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests;

/// <summary>Several nodes on one Redis, restarts, and Redis going away and coming back (empty or not).</summary>
public sealed class ClusterTests : RedisTest
{

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done) => Eventually.ReachAsync(probe, done, retryOn: ex => ex is RpcException);

    [Fact]
    public async Task TwoNodes_ChangeAckedByOne_AnsweredByOther()
    {
        await using var a = await TestNode.StartAsync(Redis.Configuration);
        await using var b = await TestNode.StartAsync(Redis.Configuration);

        var ack = await a.ApplyOneAsync("x1", D.Register("dev-1", "35693803564380"));
        var onA = await a.CheckAsync("35693803564380", "996700000001");
        var onB = await EventuallyAsync(() => b.CheckAsync("35693803564380", "996700000001"), r => r.Sequence >= ack.Sequence);

        Assert.Equal(Reason.Registered, onA.Reason);
        Assert.Equal(ack.Sequence, onA.Sequence);
        Assert.Equal(Reason.Registered, onB.Reason);

        // And the other way round, writer on B: sequences interleave without loss.
        var ackB = await b.ApplyOneAsync("x2", D.Stolen("35693803564380"));
        Assert.Equal(ack.Sequence + 1, ackB.Sequence);
        var stolenOnA = await EventuallyAsync(() => a.CheckAsync("35693803564380", "996700000001"), r => r.Sequence >= ackB.Sequence);
        Assert.Equal(Reason.Stolen, stolenOnA.Reason);
    }

    [Fact]
    public async Task TwoNodes_ConcurrentWriters_EveryBatchAppliedOnceInOneOrder()
    {
        await using var a = await TestNode.StartAsync(Redis.Configuration);
        await using var b = await TestNode.StartAsync(Redis.Configuration);

        async Task<List<BatchAck>> Write(TestNode node, string prefix) =>
            await node.ApplyAsync([.. Enumerable.Range(0, 15).Select(i =>
            {
                var batch = new DeltaBatch { BatchId = $"{prefix}-{i}" };
                batch.Deltas.Add(D.Bind("00000000000000", $"99670{(prefix == "a" ? 1 : 2)}0000{i:D2}"));
                return batch;
            })]);

        var results = await Task.WhenAll(Write(a, "a"), Write(b, "b"));

        var sequences = results.SelectMany(r => r).Select(x => x.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (ulong)i), sequences);
        var sa = await EventuallyAsync(a.SyncStateAsync, s => s.Sequence == 30);
        var sb = await EventuallyAsync(b.SyncStateAsync, s => s.Sequence == 30);
        Assert.Equal((30UL, 30UL), (sa.Bindings, sb.Bindings));
    }

    [Fact]
    public async Task GraceMark_StartedOnOneNode_HonouredByOther()
    {
        await using var a = await TestNode.StartAsync(Redis.Configuration);
        await using var b = await TestNode.StartAsync(Redis.Configuration);
        await a.ApplyOneAsync("g", D.Bind("35209900176148", "996700111111"));
        await EventuallyAsync(b.SyncStateAsync, s => s.Sequence == 1);

        var first = await a.CheckAsync("35209900176148", "996700999999");
        var onB = await EventuallyAsync(() => b.CheckAsync("35209900176148", "996700999999"), r => r.GraceExpiresAt == first.GraceExpiresAt);

        Assert.Equal(Reason.NumberSwitchGrace, first.Reason);
        Assert.Equal(first.GraceExpiresAt, onB.GraceExpiresAt);
    }

    [Fact]
    public async Task Restart_NodeFromRedis_AnswersExactlyAsBefore()
    {
        var requests = new[]
        {
            ("35693803564380", "996700000001", ""), ("35209900176148", "996700111111", ""), ("35209900176148", "", "437010000000001"),
            ("35332206453425", "996700111111", ""), ("00000000000000", "996700222222", ""), ("86753090000001", "996700000001", ""),
            ("00000000000000", "", "437050000000009"),
        };
        List<CheckResponse> before;
        SyncState stateBefore;
        await using (var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { ["Index:CompactionMinimumChanges"] = "2" }))
        {
            await node.ApplyOneAsync("r1", D.Register("dev-1", "35693803564380"), D.Bind("35209900176148", "996700111111", "437010000000001"));
            await node.ApplyOneAsync("r2", D.Stolen("35332206453425"), D.Bind("00000000000000", "996700222222"), D.Subscriber("437050000000009", "996700222222"));
            await node.Services.GetRequiredService<Checkpointer>().WriteCheckpointAsync();
            await node.ApplyOneAsync("r3", D.Register("dev-2", "35332206453425"), D.Unbind("35209900176148", "996700111111", "437010000000001"), D.Bind("35209900176148", "996700111111"));
            before = [.. await Task.WhenAll(requests.Select(r => node.CheckAsync(r.Item1, r.Item2, r.Item3)))];
            stateBefore = await node.SyncStateAsync();
        }

        await using var restarted = await TestNode.StartAsync(Redis.Configuration);
        var after = await Task.WhenAll(requests.Select(r => restarted.CheckAsync(r.Item1, r.Item2, r.Item3)));
        var stateAfter = await restarted.SyncStateAsync();

        Assert.Equal(before.Select(r => (r.Verdict, r.Reason, r.Sequence)), after.Select(r => (r.Verdict, r.Reason, r.Sequence)));
        Assert.Equal(
            (stateBefore.Sequence, stateBefore.RegisteredImeis, stateBefore.Bindings, stateBefore.StolenImeis, stateBefore.Subscribers),
            (stateAfter.Sequence, stateAfter.RegisteredImeis, stateAfter.Bindings, stateAfter.StolenImeis, stateAfter.Subscribers));
    }

    [Fact]
    public async Task RedisDown_ChecksGoOnSyncUnavailable_ThenCatchesUpByItself()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);
        await node.ApplyOneAsync("d1", D.Register("dev-1", "35693803564380"));

        await Redis.StopAsync();
        var during = await node.CheckAsync("35693803564380", "996700000001");
        var sync = await Assert.ThrowsAsync<RpcException>(() => node.ApplyOneAsync("d2", D.Register("dev-2", "35209900176148")));
        var ussd = await Assert.ThrowsAsync<RpcException>(async () => await node.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = "996700111111", NewMsisdn = "996700555555", Imei = "35209900176148" }, TestNode.Auth(TestNode.SelfServiceKey)));

        Assert.Equal(Reason.Registered, during.Reason);
        Assert.Equal(StatusCode.Unavailable, sync.StatusCode);
        Assert.Equal(StatusCode.Unavailable, ussd.StatusCode);

        await Redis.StartAsync();
        // Another writer (a second node) commits while the first is reconnecting; the first must catch up alone.
        await using var other = await TestNode.StartAsync(Redis.Configuration);
        var ack = await other.ApplyOneAsync("d2", D.Register("dev-2", "35209900176148"));
        Assert.True(ack.Accepted);
        var caughtUp = await EventuallyAsync(() => node.CheckAsync("35209900176148", "996700000001"), r => r.Reason == Reason.Registered);
        Assert.Equal(Reason.Registered, caughtUp.Reason);
        var again = await EventuallyAsync(() => node.ApplyOneAsync("d3", D.Stolen("35209900176148")), a => a.Accepted);
        Assert.True(again.Accepted);
    }

    [Fact]
    public async Task RedisKilledDuringSync_NoAckForUnwrittenBatch_DataWholeAfterRestart()
    {
        var acked = new List<BatchAck>();
        await using (var node = await TestNode.StartAsync(Redis.Configuration))
        {
            using var call = node.Sync.Apply(TestNode.Auth(TestNode.SyncKey));
            var killer = Task.Run(async () =>
            {
                await Task.Delay(400);
                await Redis.StopAsync();
            });
            try
            {
                for (var i = 0; i < 100_000; i++)
                {
                    var batch = new DeltaBatch { BatchId = $"k-{i}" };
                    batch.Deltas.Add(D.Register($"dev-{i}", $"35{i:D6}000000", $"36{i:D6}000000"));
                    await call.RequestStream.WriteAsync(batch);
                    if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        break;
                    }

                    acked.Add(call.ResponseStream.Current);
                }
            }
            catch (RpcException ex)
            {
                Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
            }

            await killer;
        }

        Assert.NotEmpty(acked);
        Assert.All(acked, a => Assert.True(a.Accepted));
        await Redis.StartAsync();
        await using var restarted = await TestNode.StartAsync(Redis.Configuration);
        var state = await restarted.SyncStateAsync();

        // Every acked batch is there, whole (two IMEIs each); at most the one in flight committed without an ack.
        Assert.InRange(state.Sequence, (ulong)acked.Count, (ulong)acked.Count + 1);
        Assert.Equal(state.Sequence * 2, state.RegisteredImeis);
        foreach (var a in acked.Where((_, i) => i % 10 == 0))
        {
            var i = int.Parse(a.BatchId[2..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(Reason.Registered, (await restarted.CheckAsync($"36{i:D6}000000", "996700000001")).Reason);
        }
    }

    [Fact]
    public async Task RedisBackEmpty_NodeKeepsServingAndRefusesSync()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);
        await node.ApplyOneAsync("e1", D.Register("dev-1", "35693803564380"));

        await Redis.WipeAsync();
        await Redis.StartAsync();
        var refused = await EventuallyAsync(
            async () =>
            {
                try
                {
                    await node.ApplyOneAsync("e2", D.Register("dev-2", "35209900176148"));
                    return StatusCode.OK;
                }
                catch (RpcException ex)
                {
                    return ex.Status.Detail.Contains("refused", StringComparison.Ordinal) ? ex.StatusCode : StatusCode.Unknown;
                }
            },
            s => s == StatusCode.Unavailable);

        Assert.Equal(StatusCode.Unavailable, refused);
        Assert.Equal(Reason.Registered, (await node.CheckAsync("35693803564380", "996700000001")).Reason);
        Assert.Equal(1UL, (await node.SyncStateAsync()).RegisteredImeis);
        Assert.NotNull(node.Services.GetRequiredService<SyncRefusal>().Reason);
    }

    [Fact]
    public async Task NotLoaded_ChecksUnavailable_ReadyzAndHealthNotServing()
    {
        var nowhere = $"127.0.0.1:{RedisServer.FreePort()},connectTimeout=200";
        await using var node = await TestNode.StartAsync(nowhere, waitReady: false);
        using var http = new HttpClient();

        var check = await Assert.ThrowsAsync<RpcException>(() => node.CheckAsync("35693803564380", "996700000001"));
        var ready = await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/readyz");
        var live = await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/healthz");
        var health = await new Health.HealthClient(node.Channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(StatusCode.Unavailable, check.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
    }
}
