using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.Redis;
using ImeiEir.Server.Tests.Security;
using Kind = ImeiEir.Contracts.V1.EventKind;

namespace ImeiEir.Server.Tests.Events;

/// <summary>
/// deploy/redis/users.acl: a node under its least-privilege user raises events (raise script: TIME, XADD with MINID,
/// ZADD, PUBLISH), serves EventFeed (XGROUP CREATE, XREADGROUP, XACK), sweeps grace warnings (lock, ZRANGEBYSCORE,
/// ZREM), counts clones (PFADD, PFCOUNT) and reports them (ZREVRANGE, HMGET) without one denial.
/// </summary>
public sealed class EventsAclTests
{
    private const string KeepAlive = ",keepAlive=1";

    [Fact]
    public async Task NodeUser_EveryEventPath_NothingDenied()
    {
        using var acl = new TestAcl();
        await using var redis = new RedisServer { AclFile = acl.Path, Admin = acl.Admin };
        await redis.StartAsync();
        var password = acl.PasswordOf(TestAcl.NodeUser);
        var logs = new CapturedLogs();
        var settings = EventsClient.Settings("acl-node", new Dictionary<string, string?>
        {
            ["Redis:PasswordFile"] = acl.WriteFile("node.password", password + "\n"),
            ["Events:SweepInterval"] = "00:00:00.200",
            ["Policy:NumberSwitchGrace"] = "00:00:02",        // the warning falls due within the test
            ["Policy:GraceMarkRetention"] = "1.00:00:00",
            ["Events:GraceWarningBefore"] = "00:00:01.900",
            ["Events:CloneThreshold"] = "1",
        });
        await using var node = await TestNode.StartAsync(redis.Configuration + KeepAlive + ",user=" + TestAcl.NodeUser, settings, logs: logs);
        await node.ApplyOneAsync("s", D.Bind("35209900176148", "996700111111"));

        await node.CheckAsync("35209900176148", "996700999999", "437010000000001");   // grace started, expiring soon
        await node.CheckAsync("86753090000001", "", "437010000000002");              // not registered
        await node.CheckAsync("86753090000001", "", "437050000000003");              // and a second home IMSI: clone
        await using var sub = new Subscription(node, "sms", "gw");
        var events = await sub.UntilAsync(e => e.Kind == Kind.GraceExpiring);
        Assert.Equal(events.Count, (int)await node.AckAsync("sms", events.Select(e => e.Id)));
        await Eventually.ReachAsync(
            async () => await node.Feed().ReportClonesAsync(new ReportClonesRequest(), TestNode.Auth(EventsClient.Key)),
            r => r.Suspects.Count == 1);

        Assert.Contains(events, e => e.Kind == Kind.GraceStarted);
        Assert.Contains(events, e => e.Kind == Kind.NotRegistered);
        await node.DisposeAsync();
        Assert.Empty(await redis.Cli("ACL", "LOG"));
        Assert.DoesNotContain("NOPERM", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("no permissions", logs.All, StringComparison.OrdinalIgnoreCase);
    }
}
