using Grpc.Core;
using ImeiEir.Contracts.V1;
using Kind = ImeiEir.Contracts.V1.EventKind;

namespace ImeiEir.Server.Tests.Events;

/// <summary>
/// Events end to end on real nodes: raised once across the cluster whichever node answered, delivered through
/// consumer groups (a restarted consumer loses nothing and, once it acknowledged, sees nothing twice), filtered by
/// operator, and only to clients with role "events".
/// </summary>
public sealed class EventFeedTests : RedisTest
{
    private const string Stolen14 = "35693803564380";
    private const string Unknown14 = "35999999000001";
    private const string Marker14 = "35999999000099";
    private const string Number = "996700999999";
    private const string Imsi01 = "437010000000001";
    private const string Imsi05 = "437050000000005";

    [Fact]
    public async Task TwoNodes_SamePairCheckedOnBoth_OneEvent()
    {
        await using var a = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("node-a"));
        await using var b = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("node-b"));
        var ack = await a.ApplyOneAsync("s", D.Register("dev-1", Stolen14), D.Stolen(Stolen14));
        await Eventually.ReachAsync(b.SyncStateAsync, s => s.Sequence >= ack.Sequence);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).CheckAsync(Stolen14, Number, Imsi01)));
        await a.PublishedAsync(1);
        await b.PublishedAsync(1);
        await a.CheckAsync(Marker14, Number);

        await using var sub = new Subscription(a, "police", "p1");
        var events = await sub.UntilAsync(e => e.Imei == Marker14);
        var stolen = Assert.Single(events, e => e.Kind == Kind.StolenSeen);
        Assert.Equal((Stolen14, Number, Imsi01, "437-01", "grpc"), (stolen.Imei, stolen.Msisdn, stolen.Imsi, stolen.HomeOperator, stolen.Interface));
        Assert.Contains(stolen.Node, new[] { "node-a", "node-b" });
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task Subscriber_RestartedBeforeAck_GetsThemAgain_AfterAck_NeverAgain()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        foreach (var n in new[] { "996700000001", "996700000002", "996700000003" })
        {
            await node.CheckAsync(Unknown14, n);
        }

        List<Event> first;
        await using (var sub = new Subscription(node, "sms", "gw-1"))
        {
            first = await sub.NextAsync(3);
        }

        List<Event> again;
        await using (var sub = new Subscription(node, "sms", "gw-1"))
        {
            again = await sub.NextAsync(3);
        }

        var acknowledged = await node.AckAsync("sms", first.Select(e => e.Id));
        var twice = await node.AckAsync("sms", first.Select(e => e.Id));
        await node.CheckAsync(Marker14, Number);
        Event afterAck;
        await using (var sub = new Subscription(node, "sms", "gw-1"))
        {
            afterAck = await sub.NextAsync();
        }

        Assert.Equal(["996700000001", "996700000002", "996700000003"], first.Select(e => e.Msisdn));
        Assert.All(first, e => Assert.Equal(Kind.NotRegistered, e.Kind));
        Assert.Equal(first.Select(e => e.Id), again.Select(e => e.Id));
        Assert.Equal((3u, 0u), (acknowledged, twice));
        Assert.Equal(Marker14, afterAck.Imei);
    }

    [Fact]
    public async Task Groups_EachSeesEveryEvent_NewOnesFollowLive()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        await node.CheckAsync(Unknown14, "996700000001");
        await node.CheckAsync(Unknown14, "996700000002");

        await using var sms1 = new Subscription(node, "sms", "gw-1");
        var one = await sms1.NextAsync();
        var other = await sms1.NextAsync();
        await using var police = new Subscription(node, "police", "p1");
        var both = await police.NextAsync(2);
        await node.CheckAsync(Unknown14, "996700000003");
        var live = await sms1.NextAsync();

        Assert.Equal([one.Id, other.Id], both.Select(e => e.Id));
        Assert.Equal("996700000003", live.Msisdn);
    }

    [Fact]
    public async Task Operator_SubscriptionGetsOnlyItsSubscribers_MsisdnResolvedFromSubscriberMap()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        await node.ApplyOneAsync("m", D.Subscriber(Imsi05, "996555000005"));
        await node.CheckAsync(Unknown14, "", Imsi01);
        await node.PublishedAsync(1); // appended first: a filter that let it through would deliver it first
        await node.CheckAsync(Unknown14, "", Imsi05);

        await using var op05 = new Subscription(node, "mega", "m1", "437-05");
        var e = await op05.NextAsync();
        await using var all = new Subscription(node, "all", "a1");
        var everything = await all.NextAsync(2);

        Assert.Equal((Imsi05, "996555000005", "437-05", Kind.NotRegistered), (e.Imsi, e.Msisdn, e.HomeOperator, e.Kind));
        Assert.Equal(["437-01", "437-05"], everything.Select(x => x.HomeOperator));
        Assert.Equal(e.Id, everything[1].Id);
        Assert.Equal(1u, await node.AckAsync("mega", [e.Id], "437-05"));
    }

    [Fact]
    public async Task Kinds_OnlyThoseDelivered()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        await node.ApplyOneAsync("s", D.Register("dev-1", Stolen14), D.Stolen(Stolen14));
        await node.CheckAsync(Unknown14, Number);
        await node.PublishedAsync(1);
        await node.CheckAsync(Stolen14, Number);

        await using var sub = new Subscription(node, "police", "p1", "", Kind.StolenSeen);
        var e = await sub.NextAsync();

        Assert.Equal((Kind.StolenSeen, Stolen14), (e.Kind, e.Imei));
    }

    [Fact]
    public async Task RoleEvents_Required()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        var feed = node.Feed();
        var request = new SubscribeRequest { ConsumerGroup = "g", Consumer = "c" };

        async Task<StatusCode> Subscribe(Metadata? auth)
        {
            using var call = feed.Subscribe(request, auth);
            var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            return ex.StatusCode;
        }

        Assert.Equal(StatusCode.Unauthenticated, await Subscribe(null));
        Assert.Equal(StatusCode.PermissionDenied, await Subscribe(TestNode.Auth(TestNode.CheckKey)));
        Assert.Equal(StatusCode.PermissionDenied, await Subscribe(TestNode.Auth(TestNode.AllKey)));
        var ack = await Assert.ThrowsAsync<RpcException>(async () => await feed.AcknowledgeAsync(new AcknowledgeRequest { ConsumerGroup = "g" }, TestNode.Auth(TestNode.SyncKey)));
        Assert.Equal(StatusCode.PermissionDenied, ack.StatusCode);
        var check = await Assert.ThrowsAsync<RpcException>(async () => await node.Checks.CheckAsync(new CheckRequest { Imei = Unknown14 }, TestNode.Auth(EventsClient.Key)));
        Assert.Equal(StatusCode.PermissionDenied, check.StatusCode);
    }

    [Theory]
    [InlineData("", "c", "", "consumer_group")]
    [InlineData("g", "", "", "consumer")]
    [InlineData("g g", "c", "", "consumer_group")]
    [InlineData("g", "c", "4370", "home_operator")]
    public async Task Subscribe_BadInput_InvalidArgumentNamingTheField(string group, string consumer, string op, string field)
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        using var call = node.Feed().Subscribe(new SubscribeRequest { ConsumerGroup = group, Consumer = consumer, HomeOperator = op }, TestNode.Auth(EventsClient.Key));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ":", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acknowledge_BadId_InvalidArgument_NothingAcknowledged()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n"));
        await node.CheckAsync(Unknown14, Number);
        await using var sub = new Subscription(node, "sms", "gw");
        var e = await sub.NextAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => node.AckAsync("sms", [e.Id, "not-an-id"]));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("event_ids[1]:", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1u, await node.AckAsync("sms", [e.Id]));
    }

    [Fact]
    public async Task EventsDisabled_NothingRaised_FeedStillServes()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, EventsClient.Settings("n", new Dictionary<string, string?> { ["Events:Enabled"] = "false" }));

        await node.CheckAsync(Unknown14, Number);
        var ack = await node.AckAsync("sms", ["1-0"]);

        Assert.Equal(0u, ack);
        Assert.Equal(0, Redis.KeyCount("eir:ev:*"));
    }
}
