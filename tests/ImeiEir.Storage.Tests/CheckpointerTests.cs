using ImeiEir.Storage.Tests.Support;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="Checkpointer"/>: a checkpoint is due after <c>Redis:CheckpointEveryMutations</c> mutations applied since the
/// last one; a checkpoint covers the mutations up to its sequence, so those applied while it is being written count
/// towards the next.
/// </summary>
public sealed class CheckpointerTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string Imei = "35209900176148";

    private readonly TestCluster _cluster;

    public CheckpointerTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task WriteCheckpointAsync_Written_CountStartsAgainFromZero()
    {
        var node = await _cluster.StartNodeAsync();
        await node.ApplyOkAsync("b-1", D.Bind(Imei, "996700000001"), D.Bind(Imei, "996700000002"));
        Assert.Equal(2, node.Checkpointer.MutationsSinceCheckpoint);

        Assert.True(await node.Checkpointer.WriteCheckpointAsync());

        Assert.Equal(0, node.Checkpointer.MutationsSinceCheckpoint);
    }

    [Fact]
    public async Task WriteAsync_BatchAppliedWhileCheckpointWritten_ItsMutationsStillCounted()
    {
        var node = await _cluster.StartNodeAsync();
        await node.ApplyOkAsync("b-1", D.Bind(Imei, "996700000001"), D.Bind(Imei, "996700000002"));
        var candidate = await node.Checkpointer.CompactAsync();
        // Between compaction (which gives the writer's turn back) and the write to Redis, another batch is applied.
        await node.ApplyOkAsync("b-2", D.Bind(Imei, "996700000003"));

        Assert.True(await node.Checkpointer.WriteAsync(candidate));

        Assert.Equal(1, candidate.View.Sequence);
        Assert.Equal(1, node.Checkpointer.MutationsSinceCheckpoint);
    }

    [Fact]
    public async Task WriteAsync_Refused_CountKept()
    {
        var node = await _cluster.StartNodeAsync();
        await node.ApplyOkAsync("b-1", D.Bind(Imei, "996700000001"));
        var candidate = await node.Checkpointer.CompactAsync();
        await _cluster.Db.StringSetAsync(_cluster.Key("lock:ckpt"), "another-node", TimeSpan.FromMinutes(5));

        Assert.False(await node.Checkpointer.WriteAsync(candidate));

        Assert.Equal(1, node.Checkpointer.MutationsSinceCheckpoint);
    }
}
