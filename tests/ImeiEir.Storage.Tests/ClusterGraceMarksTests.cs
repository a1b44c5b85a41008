using System.Globalization;
using ImeiEir.Core.Policy;
using ImeiEir.Storage.Tests.Support;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="ClusterGraceMarks"/> and <see cref="GraceMarkStore.MergeGraceMarkAsync"/>: a mark (IMEI, subscriber, first
/// check) is kept <c>Policy:GraceMarkRetention</c> after the first check, then forgotten; when two nodes saw a pair first
/// at different times, the earliest time wins on both (docs/domain.md, "Number switch"). Time is a
/// <see cref="FakeTimeProvider"/>; Redis' own expiry runs on the real clock, so it never passes within a test.
/// </summary>
public sealed class ClusterGraceMarksTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const long Imei = 35_209_900_176_148;
    private const long OtherImei = 35_693_803_564_380;
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private static readonly DateTimeOffset T0 = Node.Start;
    private static readonly SubscriberKey NewNumber = SubscriberKey.FromMsisdn(996_700_999_999);

    private readonly TestCluster _cluster;

    public ClusterGraceMarksTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Theory]
    [InlineData(-1, true)] // a tick short of the retention
    [InlineData(0, true)] // exactly the retention
    [InlineData(1, false)] // a tick past it
    public async Task Pump_MarkAgedAroundRetention_PrunedOnlyOnceOlderThanRetention(long ticksPastRetention, bool kept)
    {
        var time = new FakeTimeProvider(T0);
        await using var node = await MarksNode.StartAsync(_cluster, time);
        Assert.Equal(T0.UtcTicks, node.Marks.FirstSeen(Imei, NewNumber, T0.UtcTicks));
        await node.SettleAsync();

        time.Advance(Retention + TimeSpan.FromTicks(ticksPastRetention));
        await node.SettleAsync();

        Assert.Equal(kept ? [Imei] : [], node.Marks.ImeisSeenWith(NewNumber, long.MinValue));
    }

    [Fact]
    public async Task FirstSeen_SamePairAgainAfterRetention_NewGraceKeptClusterWide()
    {
        var time = new FakeTimeProvider(T0);
        await using var node = await MarksNode.StartAsync(_cluster, time);
        node.Marks.FirstSeen(Imei, NewNumber, T0.UtcTicks);
        await node.SettleAsync();
        // The same new number with another IMEI 20 days later: the subscriber's grace hash in Redis is refreshed (its
        // expiry is per subscriber), so on a real clock too it is still there when the first mark's retention ends.
        time.Advance(TimeSpan.FromDays(20));
        node.Marks.FirstSeen(OtherImei, NewNumber, time.GetUtcNow().UtcTicks);
        await node.SettleAsync();
        time.Advance(TimeSpan.FromDays(11));
        await node.SettleAsync();
        Assert.Equal([OtherImei], node.Marks.ImeisSeenWith(NewNumber, long.MinValue)); // the node forgot the first mark

        var now = time.GetUtcNow().UtcTicks;
        var fresh = node.Marks.FirstSeen(Imei, NewNumber, now);
        await node.SettleAsync();

        // docs/domain.md: "Once it is gone, the same IMEI with the same number is a first check again and gets a new grace."
        Assert.Equal(now, fresh);
        Assert.Equal(now, node.Marks.FirstSeen(Imei, NewNumber, now));
        Assert.Equal(now, (long)await _cluster.Db.HashGetAsync(_cluster.Key(Schema.GraceKey(NewNumber.Value)), Imei));
    }

    [Fact]
    public async Task HydrateAsync_MarkInRedisOlderThanRetention_NotLoaded()
    {
        await _cluster.Db.HashSetAsync(_cluster.Key(Schema.GraceKey(NewNumber.Value)), Imei, T0.UtcTicks);
        var time = new FakeTimeProvider(T0 + Retention + TimeSpan.FromDays(1));
        var store = await _cluster.OpenStoreAsync();
        var marks = new ClusterGraceMarks(new PolicyOptions { GraceMarkRetention = Retention }, time, NullLogger<ClusterGraceMarks>.Instance);

        await marks.HydrateAsync(store.GraceMarks, CancellationToken.None);

        Assert.Empty(marks.ImeisSeenWith(NewNumber, long.MinValue));
    }

    [Fact]
    public async Task HydrateAsync_MoreSubscribersThanOneReadPage_EveryMarkLoaded()
    {
        // 2 500 subscribers (pages of 1 000 keys read at once), every third with a second IMEI.
        const int subscribers = 2_500;
        for (var i = 0; i < subscribers; i++)
        {
            var key = _cluster.Key(Schema.GraceKey(996_700_000_000 + i));
            await _cluster.Db.HashSetAsync(key, Imei + i, T0.UtcTicks + i);
            if (i % 3 == 0)
            {
                await _cluster.Db.HashSetAsync(key, OtherImei + i, T0.UtcTicks + i + 1);
            }
        }

        var store = await _cluster.OpenStoreAsync();
        var marks = new ClusterGraceMarks(new PolicyOptions { GraceMarkRetention = Retention }, new FakeTimeProvider(T0), NullLogger<ClusterGraceMarks>.Instance);

        await marks.HydrateAsync(store.GraceMarks, CancellationToken.None);

        for (var i = 0; i < subscribers; i++)
        {
            var seen = marks.ImeisSeenWith(SubscriberKey.FromMsisdn(996_700_000_000 + i), long.MinValue).Order().ToArray();
            long[] expected = i % 3 == 0 ? [Imei + i, OtherImei + i] : [Imei + i];
            Assert.True(expected.SequenceEqual(seen), $"subscriber {i}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", seen)}]");
        }
    }

    [Theory]
    [InlineData("node A's later mark merged first")]
    [InlineData("node B's earlier mark merged first")]
    public async Task FirstSeen_TwoNodesSawPairFirstAtDifferentTimes_EarliestWinsOnBothAndInRedis(string order)
    {
        var earlier = T0.UtcTicks;
        var later = (T0 + TimeSpan.FromMinutes(5)).UtcTicks;
        var time = new FakeTimeProvider(T0 + TimeSpan.FromMinutes(10));
        await using var a = await MarksNode.StartAsync(_cluster, time, pump: false);
        await using var b = await MarksNode.StartAsync(_cluster, time, pump: false);
        await _cluster.WaitForGraceSubscribersAsync(2);
        // Each node saw the pair before hearing of the other's mark.
        Assert.Equal(later, a.Marks.FirstSeen(Imei, NewNumber, later));
        Assert.Equal(earlier, b.Marks.FirstSeen(Imei, NewNumber, earlier));

        var (first, second) = order.StartsWith("node A", StringComparison.Ordinal) ? (a, b) : (b, a);
        first.StartPump();
        await first.SettleAsync();
        second.StartPump();
        await second.SettleAsync();

        var now = time.GetUtcNow().UtcTicks;
        var onA = await Eventually.ReachAsync(() => Task.FromResult(a.Marks.FirstSeen(Imei, NewNumber, now)), t => t == earlier);
        var onB = await Eventually.ReachAsync(() => Task.FromResult(b.Marks.FirstSeen(Imei, NewNumber, now)), t => t == earlier);
        Assert.Equal((earlier, earlier), (onA, onB));
        Assert.Equal(earlier, (long)await _cluster.Db.HashGetAsync(_cluster.Key(Schema.GraceKey(NewNumber.Value)), Imei));
    }

    [Theory]
    [InlineData(null, 100L, 100L, true)] // no mark yet: recorded and announced
    [InlineData(200L, 100L, 100L, true)] // a later one stored: the earlier replaces it, announced
    [InlineData(100L, 100L, 100L, false)] // the same time: nothing changes
    [InlineData(50L, 100L, 50L, false)] // an earlier one stored: it stays, nothing announced
    public async Task MergeGraceMarkAsync_StoredMark_EarliestKeptAnnouncedOnlyWhenChanged(long? stored, long offered, long kept, bool announced)
    {
        var key = _cluster.Key(Schema.GraceKey(NewNumber.Value));
        if (stored is { } s)
        {
            await _cluster.Db.HashSetAsync(key, Imei, s);
        }

        var store = await _cluster.OpenStoreAsync();
        var messages = await _cluster.Raw.GetSubscriber().SubscribeAsync(_cluster.GraceChannel);
        await _cluster.WaitForGraceSubscribersAsync(1);

        var inForce = await store.GraceMarks.MergeGraceMarkAsync(Imei, NewNumber, offered, Retention);
        // A marker published after the merge: what arrives before it is what the merge announced.
        await _cluster.Db.PublishAsync(_cluster.GraceChannel, "end");
        var received = new List<string>();
        while (await Eventually.ReachAsync(() => Task.FromResult(messages.TryRead(out var m) ? m.Message.ToString() : null), m => m is not null) is { } m && m != "end")
        {
            received.Add(m);
        }

        await messages.UnsubscribeAsync();
        Assert.Equal(kept, inForce);
        Assert.Equal(kept, (long)await _cluster.Db.HashGetAsync(key, Imei));
        Assert.Equal(announced ? [string.Create(CultureInfo.InvariantCulture, $"{Imei}:{NewNumber.Value}:{kept}")] : [], received);
        // The subscriber's hash is kept the retention from the latest merge.
        var ttl = await _cluster.Db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl.GetValueOrDefault(), Retention - TimeSpan.FromHours(1), Retention);
    }

    /// <summary>One node's grace marks as <see cref="RegistryHost"/> wires them: the merge pump, and the grace channel feeding <see cref="ClusterGraceMarks.OnPublished"/>.</summary>
    private sealed class MarksNode : IAsyncDisposable
    {
        private static long _settleImei = 86_753_090_000_000;
        private readonly CancellationTokenSource _stop = new();
        private readonly RedisStore _store;
        private Task _pump = Task.CompletedTask;

        private MarksNode(RedisStore store, ClusterGraceMarks marks, FakeTimeProvider time)
        {
            _store = store;
            Marks = marks;
            Time = time;
        }

        public ClusterGraceMarks Marks { get; }

        public FakeTimeProvider Time { get; }

        public static async Task<MarksNode> StartAsync(TestCluster cluster, FakeTimeProvider time, bool pump = true)
        {
            var store = await cluster.OpenStoreAsync();
            var marks = new ClusterGraceMarks(new PolicyOptions { GraceMarkRetention = Retention }, time, NullLogger<ClusterGraceMarks>.Instance);
            await marks.SubscribeAsync(store);
            var node = new MarksNode(store, marks, time);
            if (pump)
            {
                node.StartPump();
            }

            return node;
        }

        public void StartPump() => _pump = Task.Run(() => Marks.PumpAsync(_store.GraceMarks, _stop.Token));

        /// <summary>
        /// Waits until every mark queued so far is merged into Redis and the prune due at the clock's time has run. The
        /// pump prunes after merging a mark and before taking the next, so two settling marks (another subscriber's,
        /// never pruned here) queued one after the other mean both are done.
        /// </summary>
        public async Task SettleAsync()
        {
            for (var i = 0; i < 2; i++)
            {
                Marks.FirstSeen(Interlocked.Increment(ref _settleImei), SubscriberKey.FromMsisdn(996_700_888_888), Time.GetUtcNow().UtcTicks);
                await Eventually.TrueAsync(() => Marks.Pending == 0, "every queued grace mark merged into Redis");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pump;
            _stop.Dispose();
        }
    }
}
