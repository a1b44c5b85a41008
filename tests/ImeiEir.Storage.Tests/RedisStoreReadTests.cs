using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// The reads a node makes: <see cref="RedisLog.ReadLogAsync"/> (following), <see cref="DeviceRecords.PrefetchDevicesAsync"/>
/// (the device records a batch is planned on, exact for one sequence) and <see cref="RedisLog.GetBatchAsync"/>.
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
    public async Task PrefetchDevicesAsync_BatchNamingDevicesAndRegisteredImeis_TheirRecordsAtStoresSequence()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", ImeiA), D.Register("dev-2", ImeiB, ImeiC));
        await writer.CommitOkAsync("b-2", D.Bind(ImeiA, "996700111111"));

        // dev-9 claims an IMEI of dev-2, which the batch does not name: its owner is read too (a conflict to report).
        var read = await writer.Store.Devices.PrefetchDevicesAsync("b-1", BatchReads.Of([D.Register("dev-9", ImeiB), D.Unregister("dev-1"), D.Register("dev-new", "86753090000001")], writer.Index.Current));

        Assert.Equal((2L, 2L), (read.Sequence, read.ViewSequence));
        Assert.Equal((1L, StoreWriter.HashOf("b-1")), read.KnownBatch);
        Assert.True(read.Directory.TryGetDevice("dev-1", out var dev1));
        Assert.Equal([Schema.Imei(ImeiA)], dev1);
        Assert.True(read.Directory.TryGetDevice("dev-2", out var dev2));
        Assert.Equal([Schema.Imei(ImeiB), Schema.Imei(ImeiC)], dev2);
        Assert.True(read.Directory.TryGetDeviceOf(Schema.Imei(ImeiC), out var ownerOfC));
        Assert.Equal("dev-2", ownerOfC);
        Assert.False(read.Directory.TryGetDevice("dev-9", out _));
        Assert.False(read.Directory.TryGetDevice("dev-new", out _));
        Assert.Equal(2, read.Directory.Count);
    }

    [Fact]
    public async Task PrefetchDevicesAsync_UnknownBatchId_NoKnownBatch()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", ImeiA));

        var read = await writer.Store.Devices.PrefetchDevicesAsync("b-2", BatchReads.Of([D.Unregister("dev-1")], writer.Index.Current));

        Assert.Null(read.KnownBatch);
        Assert.Equal(1, read.Sequence);
    }
}
