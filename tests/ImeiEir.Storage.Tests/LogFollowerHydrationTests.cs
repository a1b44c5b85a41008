using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// A node loads the newest checkpoint and replays the log after it (docs/redis-schema.md, "Reading"), and jumps to the
/// newest checkpoint when the log was trimmed past it. Either way it must hold exactly what a node that applied every
/// batch holds: the same contents and the same verdicts.
/// </summary>
public sealed class LogFollowerHydrationTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    /// <summary>Six batches touching every kind of record: registrations, bindings, stolen reports, subscribers, and their undoing.</summary>
    private static readonly RegistryDelta[][] Batches =
    [
        [D.Register("dev-1", "35693803564380"), D.Register("dev-2", "35209900176148", "35209900176155")],
        [D.Bind("35332206453425", "996700111111", "437010000000001"), D.Subscriber("437050000000009", "996700222222")],
        [D.Stolen("35693803564380", "case-1"), D.Bind("00000000000000", "996700222222")],
        [D.Unregister("dev-2"), D.Register("dev-3", "35209900176148")],
        [D.Unbind("35332206453425", "996700111111", "437010000000001"), D.Bind("35332206453425", "996700333333")],
        [D.ClearStolen("35693803564380"), D.RemoveSubscriber("437050000000009"), D.Stolen("86753090000001", "case-2")],
    ];

    /// <summary>Checks whose answers depend on every batch above.</summary>
    private static readonly (string Imei, string Msisdn, string Imsi)[] Checks =
    [
        ("35693803564380", "996700000001", ""), ("35209900176148", "996700000001", ""), ("35209900176155", "996700000001", ""),
        ("35332206453425", "996700111111", "437010000000001"), ("35332206453425", "996700333333", ""), ("35332206453425", "", "437050000000009"),
        ("00000000000000", "996700222222", ""), ("00000000000000", "", "437050000000009"), ("86753090000001", "996700000001", ""),
    ];

    private readonly TestCluster _cluster;

    public LogFollowerHydrationTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Theory]
    [InlineData(0)] // no checkpoint: the whole log
    [InlineData(3)] // a checkpoint, then the log after it
    [InlineData(6)] // a checkpoint at the head, nothing after it
    public async Task StartAsync_CheckpointAtNThenLog_ServesHeadLikeNodeThatAppliedEverything(int checkpointAt)
    {
        // The log behind a checkpoint is trimmed away: the new node can reach the head only through the checkpoint.
        var first = await _cluster.StartNodeAsync(o => o.LogEntriesKeptBehindCheckpoint = 0);
        for (var i = 0; i < Batches.Length; i++)
        {
            await first.ApplyOkAsync($"b-{i + 1}", Batches[i]);
            if (i + 1 == checkpointAt)
            {
                Assert.True(await first.Checkpointer.WriteCheckpointAsync());
            }
        }

        var log = await _cluster.LogSequencesAsync();
        Assert.Equal(checkpointAt == 0 ? 1 : checkpointAt, log[0]);

        var second = await _cluster.StartNodeAsync();

        Assert.Equal(6, second.Sequence);
        Assert.Equal(IndexContents.Verdicts(first.Index, Checks), IndexContents.Verdicts(second.Index, Checks));
        Assert.Equal(first.Index.Current.Counts, second.Index.Current.Counts);
        Assert.Equal(IndexContents.Of(first.Index), IndexContents.Of(second.Index));
        // The device directory too (from the checkpoint's directory, then the log's device changes).
        Assert.Equal(Devices(first), Devices(second));
        Assert.Equal(["dev-1: 35693803564380", "dev-2: -", "dev-3: 35209900176148", "35209900176155: -"], Devices(second));
    }

    [Fact]
    public async Task CatchUp_LogTrimmedPastNode_ReloadsCheckpointThenAppliesLogAfterIt()
    {
        var writer = await _cluster.StartNodeAsync(o => o.LogEntriesKeptBehindCheckpoint = 0);
        // The lagging node follows by notification only (a poll an hour away), and stops hearing them after batch 2.
        var lagging = await _cluster.StartNodeAsync(o => o.FollowPollInterval = TimeSpan.FromHours(1));
        await _cluster.WaitForSubscribersAsync(2);
        await writer.ApplyOkAsync("b-1", Batches[0]);
        await writer.ApplyOkAsync("b-2", Batches[1]);
        await Eventually.TrueAsync(() => lagging.Sequence == 2, "the lagging node followed to 2");
        await lagging.Store.Connection.Subscriber.UnsubscribeAsync(lagging.Store.Keys.Changes);
        await _cluster.WaitForSubscribersAsync(1);
        for (var i = 2; i < 4; i++)
        {
            await writer.ApplyOkAsync($"b-{i + 1}", Batches[i]);
        }

        Assert.True(await writer.Checkpointer.WriteCheckpointAsync()); // at 4: the log now starts at 4
        for (var i = 4; i < 6; i++)
        {
            await writer.ApplyOkAsync($"b-{i + 1}", Batches[i]);
        }

        var log = await _cluster.LogSequencesAsync();
        Assert.Equal(2, lagging.Sequence);
        Assert.Equal([4L, 5, 6], log);

        // Its next write makes it catch up first: log after 2 → starts at 4 → checkpoint 4, then 5 and 6.
        var own = await lagging.ApplyOkAsync("b-7", D.Bind("35693803564380", "996700444444"));
        await Eventually.TrueAsync(() => writer.Sequence == 7, "the writer followed to 7");

        Assert.Equal(7, own);
        Assert.Null(lagging.Refusal.Reason);
        Assert.Equal(IndexContents.Verdicts(writer.Index, Checks), IndexContents.Verdicts(lagging.Index, Checks));
        Assert.Equal(IndexContents.Of(writer.Index), IndexContents.Of(lagging.Index));
        Assert.Equal(Devices(writer), Devices(lagging));
    }

    [Fact]
    public async Task Hydrate_DirectoryNotYetInPlace_ChecksServedWritesWaitThenSeeIt()
    {
        var first = await _cluster.StartNodeAsync();
        await first.ApplyOkAsync("b-1", Batches[0]);
        Assert.True(await first.Checkpointer.WriteCheckpointAsync());
        await first.ApplyOkAsync("b-2", D.Register("dev-4", "86753090000001")); // in the log after the checkpoint only
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var second = await _cluster.StartNodeAsync(directoryGate: () => gate.Task);
        var unregister = second.ApplyAsync("b-3", D.Unregister("dev-2"), D.Unregister("dev-4"));
        var heldStatus = second.Follower.DirectoryLoaded.IsCompleted;
        var heldWrite = unregister.IsCompleted;
        var status = await Assert.ThrowsAsync<RegistryUnavailableException>(() => new DeviceStatusReader(second.Index, second.Devices).GetAsync(35209900176148, CancellationToken.None));
        var servedAt = second.Sequence;
        var registered = second.Index.Current.IsRegistered(35209900176148);
        gate.SetResult();

        // Checks are served from the index at once; the write waited for the directory, then found both devices (one
        // from the checkpoint's directory, one from the log's device changes after it).
        Assert.Equal(2, servedAt);
        Assert.True(registered);
        Assert.False(heldStatus);
        Assert.False(heldWrite);
        Assert.Contains("retry later", status.Message, StringComparison.Ordinal);
        var outcome = await unregister;
        Assert.True(outcome.Status == BatchStatus.Accepted, $"{outcome.Status} {outcome.Error} {string.Join("; ", outcome.Errors.Select(e => e.Message))}");
        Assert.Equal(3, outcome.Sequence);
        Assert.False(second.Devices.TryGetDevice("dev-2", out _));
        Assert.True(second.Devices.TryGetDevice("dev-1", out _));
    }

    // The devices of the batches above and the owner of the IMEI that ends with none, as text.
    private static string[] Devices(Node node)
    {
        var result = new List<string>();
        foreach (var id in new[] { "dev-1", "dev-2", "dev-3" })
        {
            result.Add(node.Devices.TryGetDevice(id, out var imeis) ? $"{id}: {string.Join(",", imeis)}" : $"{id}: -");
        }

        result.Add(node.Devices.TryGetDeviceOf(35209900176155, out var owner) ? $"35209900176155: {owner}" : "35209900176155: -");
        return [.. result];
    }
}
