using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Core.Overload;
using ImeiEir.Server.Events;

namespace ImeiEir.Server.Tests.Events;

/// <summary>
/// The cluster-wide rules in Redis with a fake clock: the exactly-once windows, the grace warning (due, and not
/// when NUMBER SWITCH came first), clone counting.
/// </summary>
public sealed class EventRulesTests : RedisTest
{
    private const long Imei = 86_000_001_000_001;
    private const string NewNumber = "996700999999";

    private static Observation Seen(EventKind kind, long now, long msisdn = 0, long imsi = 0, long graceExpires = 0)
        => new(kind, Imei, msisdn, imsi, now, graceExpires, CheckInterface.Grpc);

    [Fact]
    public async Task StolenSeen_SamePairWithinTheHour_OneEvent_ThenAnother()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var number = PublisherHarness.Msisdn(NewNumber);

        var first = await h.Publisher.PublishAsync(Seen(EventKind.StolenSeen, h.Now, number));
        h.Time.Advance(TimeSpan.FromMinutes(59));
        var repeat = await h.Publisher.PublishAsync(Seen(EventKind.StolenSeen, h.Now, number));
        var otherNumber = await h.Publisher.PublishAsync(Seen(EventKind.StolenSeen, h.Now, PublisherHarness.Msisdn("996700000001")));
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var nextHour = await h.Publisher.PublishAsync(Seen(EventKind.StolenSeen, h.Now, number));

        Assert.NotNull(first);
        Assert.Null(repeat);
        Assert.NotNull(otherNumber);
        Assert.NotNull(nextHour);
        Assert.Equal(3, (await h.AllEventsAsync()).Count);
    }

    [Fact]
    public async Task OneBatch_EachPairOnce_IdsInTheBatchOrder_OneScriptPerBatch()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var a = PublisherHarness.Msisdn(NewNumber);
        var b = PublisherHarness.Msisdn("996700000001");
        Assert.NotNull(await h.Publisher.PublishAsync(Seen(EventKind.NotRegistered, h.Now, b))); // the script is loaded
        var before = await h.ScriptCallsAsync();

        var ids = await h.Publisher.PublishAsync([
            Seen(EventKind.StolenSeen, h.Now, a),
            Seen(EventKind.StolenSeen, h.Now, b),
            Seen(EventKind.StolenSeen, h.Now, a),
            Seen(EventKind.NotRegistered, h.Now, a),
        ]);

        Assert.Equal(1, await h.ScriptCallsAsync() - before);
        Assert.NotNull(ids[0]);
        Assert.NotNull(ids[1]);
        Assert.Null(ids[2]);
        Assert.NotNull(ids[3]);
        var all = await h.Db.StreamRangeAsync("eir:ev:all");
        Assert.Equal([ids[0], ids[1], ids[3]], all.Skip(1).Select(e => (string?)e.Id.ToString()));
        Assert.Null((await h.Publisher.PublishAsync([Seen(EventKind.StolenSeen, h.Now, b)]))[0]);
    }

    [Fact]
    public async Task SameSubscriber_ByNumberOrByMappedImsi_OneEvent()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var imsi = PublisherHarness.Imsi("437010000000001");
        var number = PublisherHarness.Msisdn(NewNumber);
        h.Apply(Mutation.Subscriber(imsi, number));

        var byNumber = await h.Publisher.PublishAsync(Seen(EventKind.NotRegistered, h.Now, number));
        var byImsi = await h.Publisher.PublishAsync(Seen(EventKind.NotRegistered, h.Now, imsi: imsi));

        Assert.NotNull(byNumber);
        Assert.Null(byImsi);
    }

    [Fact]
    public async Task GraceExpiring_RaisedWhenDue_Once()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var expires = h.Now + TimeSpan.FromDays(3).Ticks;
        await h.Publisher.PublishAsync(Seen(EventKind.GraceStarted, h.Now, PublisherHarness.Msisdn(NewNumber), PublisherHarness.Imsi("437050000000005"), expires));

        var early = await h.Sweeper.SweepAsync();
        h.Time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));
        var justBefore = await h.Sweeper.SweepAsync();
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var due = await h.Sweeper.SweepAsync();
        var after = await h.Sweeper.SweepAsync();

        Assert.Equal((0, 0, 1, 0), (early, justBefore, due, after));
        var events = await h.AllEventsAsync();
        Assert.Equal([EventKind.GraceStarted, EventKind.GraceExpiring], events.Select(e => e.Kind));
        var warning = events[1];
        Assert.Equal((NewNumber, "437050000000005", "437-05", "grpc"), (warning.Msisdn, warning.Imsi, warning.HomeOperator, warning.Interface));
        Assert.Equal(events[0].GraceExpiresMs, warning.GraceExpiresMs);
        Assert.Equal(new DateTimeOffset(expires, TimeSpan.Zero).ToUnixTimeMilliseconds(), warning.GraceExpiresMs);
    }

    [Fact]
    public async Task GraceExpiring_GraceShorterThanTheWarning_RaisedAtTheFirstSweep()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        await h.Publisher.PublishAsync(Seen(EventKind.GraceStarted, h.Now, PublisherHarness.Msisdn(NewNumber), 0, h.Now + TimeSpan.FromHours(1).Ticks));

        Assert.Equal(1, await h.Sweeper.SweepAsync());
    }

    [Fact]
    public async Task GraceExpiring_NumberSwitchedMeanwhile_NotRaised()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var number = PublisherHarness.Msisdn(NewNumber);
        await h.Publisher.PublishAsync(Seen(EventKind.GraceStarted, h.Now, number, 0, h.Now + TimeSpan.FromDays(3).Ticks));

        h.Apply(Mutation.Bind(Imei, number));
        h.Time.Advance(TimeSpan.FromDays(2));
        var raised = await h.Sweeper.SweepAsync();

        Assert.Equal(0, raised);
        Assert.Equal(0, await h.Db.SortedSetLengthAsync("eir:ev:warn"));
        Assert.Single(await h.AllEventsAsync());
    }

    [Fact]
    public async Task Sweep_AnotherNodeHoldsTheLock_NothingRaised()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        await h.Publisher.PublishAsync(Seen(EventKind.GraceStarted, h.Now, PublisherHarness.Msisdn(NewNumber), 0, h.Now + TimeSpan.FromDays(3).Ticks));
        h.Time.Advance(TimeSpan.FromDays(2));

        await h.Db.StringSetAsync("eir:ev:sweep-lock", "other-node");
        var whileHeld = await h.Sweeper.SweepAsync();
        await h.Db.KeyDeleteAsync("eir:ev:sweep-lock");
        var afterwards = await h.Sweeper.SweepAsync();

        Assert.Equal((0, 1), (whileHeld, afterwards));
    }

    [Fact]
    public async Task CloneSuspected_MoreHomeImsisThanThreshold_OnceADay_Reported()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        var first = PublisherHarness.Imsi("437010000000000");
        var results = new List<string?>();
        for (var i = 1; i <= 7; i++)
        {
            var imsi = PublisherHarness.Imsi($"43701000000000{i}");
            results.Add(await h.Publisher.PublishAsync(new Observation(EventKind.CloneSuspected, Imei, 0, imsi, h.Now, 0, CheckInterface.S13, first)));
        }

        // 2..5 IMSIs: below; the 6th: raised; the 7th: already raised today.
        Assert.Equal([false, false, false, false, true, false, false], results.Select(r => r is not null));
        var clone = Assert.Single(await h.AllEventsAsync());
        Assert.Equal((EventKind.CloneSuspected, "86000001000001", "", "437-01"), (clone.Kind, clone.Imei, clone.Interface, clone.HomeOperator));
        var report = await h.Store.ReadClonesAsync(10, 0);
        Assert.Equal("86000001000001", Assert.Single(report).Imei);
        Assert.Equal(8, report[0].Count);
    }

    [Fact]
    public async Task CloneSuspected_ImeiBoundToManyNumbers_Excluded()
    {
        await using var h = await PublisherHarness.StartAsync(Redis.Configuration);
        h.Apply([.. Enumerable.Range(1, 5).Select(i => Mutation.Bind(Imei, PublisherHarness.Msisdn($"99670000000{i}")))]);
        var first = PublisherHarness.Imsi("437010000000000");

        for (var i = 1; i <= 7; i++)
        {
            Assert.Null(await h.Publisher.PublishAsync(new Observation(EventKind.CloneSuspected, Imei, 0, PublisherHarness.Imsi($"43701000000000{i}"), h.Now, 0, null, first)));
        }

        Assert.Empty(await h.AllEventsAsync());
    }
}
