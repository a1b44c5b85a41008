using System.Globalization;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Server.Tests.Security;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Redis;

/// <summary>
/// deploy/redis/users.acl: a node under its least-privilege user does everything a node does (hydration, pipelined
/// commits, grace marks, self-service, checkpoints and log trim, WAIT on a replica, a follower) without one denial,
/// and the user can do nothing else that matters.
/// </summary>
public sealed class RedisAclTests
{
    private const string OtherMsisdn = "996700999999";
    private const string ThirdMsisdn = "996700444444";
    private const string Switched14 = "86753090000002";

    // Idle connections get their keep-alive command within the test (default 60 s).
    private const string KeepAlive = ",keepAlive=1";

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done) => Eventually.ReachAsync(probe, done, retryOn: ex => ex is RpcException);

    [Fact]
    public void ShippedAclFile_OnlyPlaceholderHashes_NoSecretAndNoOpenUser()
    {
        var lines = File.ReadAllLines(TestAcl.ShippedPath).Where(l => l.Length > 0).ToList();

        Assert.All(lines, l => Assert.StartsWith("user ", l, StringComparison.Ordinal));
        Assert.Contains("user default off resetkeys resetchannels -@all", lines);
        foreach (var word in lines.SelectMany(l => l.Split(' ')))
        {
            Assert.False(word.StartsWith('>'), "a clear-text password in the shipped ACL file");
            Assert.NotEqual("nopass", word);
            if (word.StartsWith('#'))
            {
                Assert.Equal("#" + TestAcl.PlaceholderHash, word);
            }
        }
    }

    [Fact]
    public async Task NodeUser_WholeFlowWithReplicaAndFollower_NothingDenied()
    {
        using var acl = new TestAcl();
        await using var primary = new RedisServer { AclFile = acl.Path, Admin = acl.Admin };
        await primary.StartAsync();
        // A replica that authenticates with the file's replication user, so an ack can wait for it (WAIT).
        await using var replica = new RedisServer(
            "--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture),
            "--masteruser", TestAcl.ReplicaUser, "--masterauth", acl.PasswordOf(TestAcl.ReplicaUser))
        { AclFile = acl.Path, Admin = acl.Admin };
        await replica.StartAsync();
        var replication = await Eventually.ReachAsync(() => primary.Cli("INFO", "replication"), r => r.Contains("connected_slaves:1"));
        Assert.Contains("connected_slaves:1", replication);

        var password = acl.PasswordOf(TestAcl.NodeUser);
        var settings = new Dictionary<string, string?>
        {
            ["Redis:PasswordFile"] = acl.WriteFile("node.password", password + "\n"),
            ["Redis:AckReplicas"] = "1",
            ["Redis:AckReplicasTimeout"] = "00:00:10",
            ["Redis:CheckpointEveryMutations"] = "1",
            ["Redis:CheckpointMinInterval"] = "00:00:00",
            ["Redis:LogEntriesKeptBehindCheckpoint"] = "1",
        };
        var logsA = new CapturedLogs();
        var logsB = new CapturedLogs();
        await using var a = await TestNode.StartAsync(primary.Configuration + KeepAlive + ",user=" + TestAcl.NodeUser, settings, logs: logsA);

        // Pipelined commits on one stream, a retried batch id, each kind of record.
        var acks = await a.ApplyAsync(
            Batch("s1", D.Register("dev-1", Ids.Registered14, Ids.Second14)),
            Batch("s2", D.Register("dev-2", Ids.Stolen14), D.Stolen(Ids.Stolen14, "POLICE-42")),
            Batch("s3", D.Bind(Ids.Bound14, Ids.BoundMsisdn, Ids.BoundImsi), D.Bind(Switched14, Ids.NullBoundMsisdn), D.Subscriber(Ids.MappedImsi, Ids.NullBoundMsisdn)),
            Batch("s4", D.Unregister("dev-1"), D.Register("dev-3", Ids.Registered14)),
            Batch("s2", D.Register("dev-2", Ids.Stolen14), D.Stolen(Ids.Stolen14, "POLICE-42")));
        Assert.All(acks, ack => Assert.True(ack.Accepted, ack.Error));

        // A grace mark (merged into Redis by script, published), then the self-service calls that read and use it.
        var grace = await a.CheckAsync(Ids.Bound14, OtherMsisdn);
        Assert.Equal(Reason.NumberSwitchGrace, grace.Reason);
        await Eventually.TrueAsync(() => primary.KeyCount("eir:grace:*") > 0, "grace mark in Redis");
        var status = await a.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = Ids.Registered14 }, TestNode.Auth(TestNode.SelfServiceKey));
        var byMark = await a.SelfService.SwitchNumberAsync(new SwitchNumberRequest { PreviousMsisdn = Ids.BoundMsisdn, NewMsisdn = OtherMsisdn }, TestNode.Auth(TestNode.SelfServiceKey));
        var byImei = await a.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = Ids.NullBoundMsisdn, NewMsisdn = Ids.NullBoundMsisdn2, Imei = Switched14 }, TestNode.Auth(TestNode.SelfServiceKey));
        Assert.Equal("dev-3", status.DeviceId);
        Assert.Equal([Ids.Bound14], byMark.SwitchedImeis);
        Assert.Equal([Switched14], byImei.SwitchedImeis);

        // Checkpoints written by the node, and the log trimmed behind the newest (one entry kept before it).
        var head = (long)(await a.SyncStateAsync()).Sequence;
        var checkpoint = await Eventually.ReachAsync(async () => long.Parse((await primary.Cli("HGET", "eir:ckpt", "seq")).FirstOrDefault() ?? "0", CultureInfo.InvariantCulture), s => s >= 3);
        var logLength = long.Parse((await primary.Cli("XLEN", "eir:log"))[0], CultureInfo.InvariantCulture);
        Assert.InRange(checkpoint, 3, head);
        Assert.True(logLength <= head - checkpoint + 2, $"log not trimmed: {logLength} entries for {head} batches, checkpoint at {checkpoint}");

        // A second node (password in the connection string this time) loads the checkpoint, the log after it and the
        // grace marks, then follows the first; and writes itself.
        await using var b = await TestNode.StartAsync(
            primary.Configuration + KeepAlive + $",user={TestAcl.NodeUser},password={password}", settings.Where(kv => kv.Key != "Redis:PasswordFile").ToDictionary(), logs: logsB);
        var next = await a.ApplyOneAsync("s5", D.Register("dev-4", "35209900176149"));
        var followed = await EventuallyAsync(() => b.CheckAsync("35209900176149", Ids.BoundMsisdn), r => r.Sequence >= next.Sequence);
        var fromB = await b.ApplyOneAsync("s6", D.ClearStolen(Ids.Stolen14));
        var onA = await EventuallyAsync(() => a.CheckAsync(Ids.Stolen14, Ids.BoundMsisdn), r => r.Sequence >= fromB.Sequence);
        var markOnA = await a.CheckAsync(Ids.Bound14, ThirdMsisdn);
        var markOnB = await EventuallyAsync(() => b.CheckAsync(Ids.Bound14, ThirdMsisdn), r => r.GraceExpiresAt == markOnA.GraceExpiresAt);
        Assert.Equal(Reason.Registered, followed.Reason);
        Assert.True(fromB.Accepted, fromB.Error);
        Assert.Equal(Reason.Registered, onA.Reason);
        Assert.Equal(Reason.NumberSwitchGrace, markOnB.Reason);
        var requests = new[] { (Ids.Registered14, OtherMsisdn), (Ids.Bound14, OtherMsisdn), (Switched14, Ids.NullBoundMsisdn2), (Ids.Stolen14, ThirdMsisdn), (Ids.Unknown14, ThirdMsisdn) };
        var answersA = await Task.WhenAll(requests.Select(r => a.CheckAsync(r.Item1, r.Item2)));
        var answersB = await Task.WhenAll(requests.Select(r => b.CheckAsync(r.Item1, r.Item2)));
        Assert.Equal(answersA.Select(r => (r.Verdict, r.Reason, r.Sequence)), answersB.Select(r => (r.Verdict, r.Reason, r.Sequence)));

        // Not one command, key or channel was refused to the node user (shutdown included), and nothing says so in the
        // nodes' logs.
        await b.DisposeAsync();
        await a.DisposeAsync();
        Assert.Empty(await primary.Cli("ACL", "LOG"));
        foreach (var logs in new[] { logsA, logsB })
        {
            Assert.DoesNotContain("NOPERM", logs.All, StringComparison.Ordinal);
            Assert.DoesNotContain("no permissions", logs.All, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(password, logs.All, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NodeAndMonitorUsers_OutsideTheirRights_Denied()
    {
        using var acl = new TestAcl();
        await using var redis = new RedisServer { AclFile = acl.Path, Admin = acl.Admin };
        await redis.StartAsync();
        var node = new[]
        {
            "FLUSHALL", "FLUSHDB", "KEYS *", "DEBUG SLEEP 0", "SHUTDOWN NOSAVE", "CONFIG GET masterauth", "CONFIG SET appendonly no",
            "MONITOR", "CLIENT LIST", "CLIENT KILL ID 1", "ACL LIST", "SCRIPT FLUSH", "BGREWRITEAOF", "REPLICAOF NO ONE", "MIGRATE 127.0.0.1 1 eir:seq 0 1",
            "GET other:seq", "SET other:seq 1", "HGETALL other:ckpt", "PUBLISH other:events 1", "SUBSCRIBE other:events",
        };
        var monitor = new[] { "SET eir:seq 1", "HGET eir:dev:1 x", "HGET eir:own:1 1", "XRANGE eir:log - +", "SUBSCRIBE eir:events", "CONFIG GET masterauth", "KEYS *" };

        foreach (var command in node)
        {
            Assert.StartsWith("This user has no permissions", await DryRun(redis, TestAcl.NodeUser, command), StringComparison.Ordinal);
        }

        foreach (var command in monitor)
        {
            Assert.StartsWith("This user has no permissions", await DryRun(redis, TestAcl.MonitorUser, command), StringComparison.Ordinal);
        }

        // What the node needs beyond the flow test's path (WAIT there needs a replica; EVAL is the fallback of EVALSHA).
        foreach (var command in new[] { "WAIT 1 100", "EVAL x 0", "EVALSHA 0000000000000000000000000000000000000000 0", "SCAN 0 MATCH eir:grace:* COUNT 1000", "GET __Booksleeve_TieBreak" })
        {
            Assert.Equal("OK", await DryRun(redis, TestAcl.NodeUser, command));
        }

        foreach (var command in new[] { "INFO", "GET eir:seq", "XLEN eir:log", "HGET eir:ckpt seq", "PING" })
        {
            Assert.Equal("OK", await DryRun(redis, TestAcl.MonitorUser, command));
        }
    }

    private static async Task<string> DryRun(RedisServer redis, string user, string command)
        => string.Join(" ", await redis.Cli(["ACL", "DRYRUN", user, .. command.Split(' ')]));

    private static DeltaBatch Batch(string id, params Delta[] deltas)
    {
        var batch = new DeltaBatch { BatchId = id };
        batch.Deltas.AddRange(deltas);
        return batch;
    }
}
