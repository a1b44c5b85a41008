using ImeiEir.Core.Policy;
using ImeiEir.Storage.Tests.Support;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// A loaded node follows the log: a change notification (<c>&lt;prefix&gt;:events</c>) makes it read the log at once,
/// and a poll every <c>Redis:FollowPollInterval</c> brings it up to date when a notification is lost. The changes come
/// from a <see cref="StoreWriter"/> (another node's store, committing through Redis only).
/// </summary>
public sealed class LogFollowerTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string Imei = "35693803564380";

    private readonly TestCluster _cluster;

    public LogFollowerTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task Follow_ChangeNotified_AppliedWithoutWaitingForPoll()
    {
        // The next poll is an hour away: only the notification can bring the change in.
        var follower = await _cluster.StartNodeAsync(o => o.FollowPollInterval = TimeSpan.FromHours(1));
        await _cluster.WaitForSubscribersAsync(1);
        var writer = await _cluster.OpenWriterAsync();

        var sequence = await writer.CommitOkAsync("b-1", D.Register("dev-1", Imei));
        await Eventually.TrueAsync(() => follower.Sequence == sequence, "the follower applied the notified commit");

        Assert.Equal(Reason.Registered, Check(follower).Decision.Reason);
    }

    [Fact]
    public async Task Follow_NotificationMissed_CaughtUpByPolling()
    {
        var follower = await _cluster.StartNodeAsync(o => o.FollowPollInterval = TimeSpan.FromMilliseconds(100));
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Bind("35209900176148", "996700111111"));
        await Eventually.TrueAsync(() => follower.Sequence == 1, "the follower followed to 1");
        Assert.Equal(Reason.NotRegistered, Check(follower).Decision.Reason);

        // The follower's subscription is gone: Redis delivers the next notification to nobody.
        await _cluster.WaitForSubscribersAsync(1);
        await follower.Store.Connection.Subscriber.UnsubscribeAsync(follower.Store.Keys.Changes);
        await _cluster.WaitForSubscribersAsync(0);
        var sequence = await writer.CommitOkAsync("b-2", D.Register("dev-1", Imei));
        await Eventually.TrueAsync(() => follower.Sequence == sequence, "the follower polled the log and applied the commit");

        Assert.Equal(0, await _cluster.SubscribersAsync(_cluster.ChangeChannel));
        Assert.Equal(Reason.Registered, Check(follower).Decision.Reason);
        Assert.Equal(IndexContents.Of(writer.Index), IndexContents.Of(follower.Index));
    }

    private static CheckResult Check(Node node) => new EquipmentChecker(node.Index, new InMemoryGraceMarks(), node.Policy, node.Time).Check(Imei, "996700000001", "");
}
