using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// The reads a node makes: <see cref="RedisLog.ReadLogAsync"/> (following; its device changes are the node's device
/// directory) and <see cref="RedisLog.GetBatchAsync"/>.
/// </summary>
public sealed class RedisStoreReadTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string ImeiA = "35693803564380";
    private const string ImeiB = "35209900176148";
    private const string ImeiC = "35209900176155";

    private readonly TestCluster _cluster;

    public RedisStoreReadTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Theory]
    [InlineData(0, 10, new long[] { 1, 2, 3, 4, 5 })]
    [InlineData(0, 1, new long[] { 1 })]
    [InlineData(2, 2, new long[] { 3, 4 })]
    [InlineData(4, 10, new long[] { 5 })]
    [InlineData(5, 10, new long[0])]
    public async Task ReadLogAsync_AfterSequenceAtMostCount_ThoseEntriesInOrder(long after, int count, long[] expected)
    {
        var writer = await _cluster.OpenWriterAsync();
        for (var i = 1; i <= 5; i++)
        {
            await writer.CommitOkAsync($"b-{i}", D.Bind(ImeiA, $"99670000000{i}"));
        }

        var entries = await writer.Store.Log.ReadLogAsync(after, count);

        Assert.Equal(expected, entries.Select(e => e.Sequence));
        Assert.Equal(expected.Select(s => $"b-{s}"), entries.Select(e => e.BatchId));
    }

    [Fact]
    public async Task ReadLogAsync_DeviceChanges_AnotherWritersDirectoryHoldsTheDevicesAndOwnersOfThatSequence()
    {
        // Devices have no record in Redis: a node knows them from the log (and the checkpoint). The device records a
        // batch used to read ahead are the directory of another writer that caught up from the log.
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", ImeiA), D.Register("dev-2", ImeiB, ImeiC));
        await writer.CommitOkAsync("b-2", D.Bind(ImeiA, "996700111111"));
        var other = await _cluster.OpenWriterAsync();

        await other.CatchUpAsync();

        Assert.Equal(2L, other.Index.Current.Sequence);
        Assert.Equal((1L, StoreWriter.HashOf("b-1")), await other.Store.Log.GetBatchAsync("b-1"));
        Assert.True(other.Devices.TryGetDevice("dev-1", out var dev1));
        Assert.Equal([Schema.Imei(ImeiA)], dev1);
        Assert.True(other.Devices.TryGetDevice("dev-2", out var dev2));
        Assert.Equal([Schema.Imei(ImeiB), Schema.Imei(ImeiC)], dev2);
        Assert.True(other.Devices.TryGetDeviceOf(Schema.Imei(ImeiC), out var ownerOfC));
        Assert.Equal("dev-2", ownerOfC);
        Assert.False(other.Devices.TryGetDevice("dev-9", out _));
        Assert.False(other.Devices.TryGetDevice("dev-new", out _));
        Assert.Equal(2, other.Devices.Count);
    }

    [Fact]
    public async Task GetBatchAsync_UnknownBatchId_Null()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", ImeiA));

        Assert.Null(await writer.Store.Log.GetBatchAsync("b-2"));
        Assert.Equal(1, (await writer.Store.Log.GetHeadAsync()).Sequence);
    }
}
