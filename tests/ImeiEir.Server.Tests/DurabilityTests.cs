using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests;

/// <summary>Acks that wait for replicas, and grace marks that outlive nodes and Redis outages.</summary>
public sealed class DurabilityTests : RedisTest
{

    [Fact]
    public async Task AckReplicas_NoReplica_NotAckedAsAccepted()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?>
        {
            ["Redis:AckReplicas"] = "1",
            ["Redis:AckReplicasTimeout"] = "00:00:00.200",
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => node.ApplyOneAsync("w1", D.Register("dev-1", "35693803564380")));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("replicas", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AckReplicas_WithReplica_AcceptedAndOnReplica()
    {
        await using var replica = new RedisServer("--replicaof", "127.0.0.1", Redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await replica.StartAsync();
        await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { ["Redis:AckReplicas"] = "1" });

        // UNAVAILABLE while the replica is still syncing with the primary.
        var ack = await Eventually.ReachAsync(
            () => node.ApplyOneAsync("w1", D.Register("dev-1", "35693803564380")), a => a is not null, retryOn: ex => ex is RpcException { StatusCode: StatusCode.Unavailable });

        Assert.NotNull(ack);
        Assert.True(ack.Accepted);
        // Fail over: the primary dies, the replica is promoted (what an operator or Sentinel does).
        await Redis.StopAsync();
        using (var cli = System.Diagnostics.Process.Start("redis-cli", ["-p", replica.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "REPLICAOF", "NO", "ONE"]))
        {
            await cli.WaitForExitAsync();
        }

        await using var fromReplica = await TestNode.StartAsync(replica.Configuration);
        Assert.Equal(Reason.Registered, (await fromReplica.CheckAsync("35693803564380", "996700000001")).Reason);
    }

    [Fact]
    public async Task GraceMark_SurvivesNodeRestart()
    {
        CheckResponse first;
        await using (var a = await TestNode.StartAsync(Redis.Configuration))
        {
            await a.ApplyOneAsync("g", D.Bind("35209900176148", "996700111111"));
            first = await a.CheckAsync("35209900176148", "996700999999");
            // The mark is merged into Redis in the background: wait until the node's outbox is empty and Redis has it.
            var marks = a.Services.GetRequiredService<ImeiEir.Storage.ClusterGraceMarks>();
            await Eventually.TrueAsync(() => marks.Pending == 0, "grace mark sent to Redis");
            await Eventually.TrueAsync(() => Redis.KeyCount("*:grace:*") > 0, "grace mark in Redis");
        }

        await using var b = await TestNode.StartAsync(Redis.Configuration);
        var later = await b.CheckAsync("35209900176148", "996700999999");

        Assert.Equal(Reason.NumberSwitchGrace, later.Reason);
        Assert.Equal(first.GraceExpiresAt, later.GraceExpiresAt);
    }

    [Fact]
    public async Task GraceMark_StartedWhileRedisAway_ReconciledWhenItReturns()
    {
        await using var a = await TestNode.StartAsync(Redis.Configuration);
        await a.ApplyOneAsync("g", D.Bind("35209900176148", "996700111111"));

        await Redis.StopAsync();
        var whileAway = await a.CheckAsync("35209900176148", "996700999999");
        await Redis.StartAsync();
        await using var b = await TestNode.StartAsync(Redis.Configuration);

        var onB = await Eventually.ReachAsync(() => b.CheckAsync("35209900176148", "996700999999"), r => r.GraceExpiresAt == whileAway.GraceExpiresAt);

        Assert.Equal(Reason.NumberSwitchGrace, whileAway.Reason);
        Assert.Equal(whileAway.GraceExpiresAt, onB.GraceExpiresAt);
    }
}
