using System.Globalization;
using ImeiEir.Core.Index;
using ImeiEir.Storage.Tests.Support;
using StackExchange.Redis;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="CheckpointStore.WriteCheckpointAsync"/> and <see cref="CheckpointStore.LoadCheckpointAsync"/>: the newest checkpoint
/// as <c>ckpt</c> (<c>seq</c>, <c>chunks</c>) over <c>ckpt:&lt;seq&gt;:&lt;i&gt;</c> chunks of at most <see cref="CheckpointStore.ChunkBytes"/>, written by one
/// node at a time (<c>lock:ckpt</c>), the log trimmed to <c>Redis:LogEntriesKeptBehindCheckpoint</c> entries behind it.
/// </summary>
public sealed class CheckpointStoreTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const int ChunkBytes = CheckpointStore.ChunkBytes;

    private readonly TestCluster _cluster;

    public CheckpointStoreTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    private IDatabase Db => _cluster.Db;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(100)]
    public async Task WriteCheckpointAsync_LogBeforeAndAfterIt_KeepsEntriesKeptBehindCheckpointAndEverythingAfter(long kept)
    {
        var writer = await _cluster.OpenWriterAsync(o => o.LogEntriesKeptBehindCheckpoint = kept);
        await CommitBindingsAsync(writer, 1, 8);
        var at8 = writer.Index.Compact();
        await CommitBindingsAsync(writer, 9, 10);

        var written = await writer.Store.Checkpoints.WriteCheckpointAsync(at8.Snapshot, 8, "node-a");
        var log = await _cluster.LogSequencesAsync();

        Assert.True(written);
        // Entries 1..7 are behind the checkpoint at 8: the newest `kept` of them stay; 8, 9, 10 all stay.
        Assert.Equal(Enumerable.Range(8 - (int)Math.Min(kept, 7), 3 + (int)Math.Min(kept, 7)).Select(i => (long)i), log);
        Assert.Equal(("8", "1"), await PointerAsync());
        Assert.False(await Db.KeyExistsAsync(_cluster.Key("lock:ckpt")));
    }

    public static TheoryData<string> Sizes => ["small (one chunk)", "large (two chunks)"];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task LoadCheckpointAsync_AfterWrite_SameSnapshotAndSequence(string size)
    {
        var snapshot = size.StartsWith("small", StringComparison.Ordinal) ? Small() : Large();
        var expected = Format(snapshot, 42);
        var store = await _cluster.OpenStoreAsync();

        var written = await store.Checkpoints.WriteCheckpointAsync(snapshot, 42, "node-a");
        var loaded = await store.Checkpoints.LoadCheckpointAsync();

        Assert.True(written);
        Assert.NotNull(loaded);
        Assert.Equal(42, loaded.Sequence);
        Assert.True(expected.AsSpan().SequenceEqual(Format(loaded.Snapshot, 42)), "the loaded snapshot differs from the one written");
        // The schema: the pointer names the chunks; the chunks, in order, are the snapshot format, each at most ChunkBytes.
        var chunks = (expected.Length + ChunkBytes - 1) / ChunkBytes;
        Assert.Equal(size.StartsWith("small", StringComparison.Ordinal) ? 1 : 2, chunks);
        Assert.Equal(("42", chunks.ToString(CultureInfo.InvariantCulture)), await PointerAsync());
        var stored = new List<byte>();
        for (var i = 0; i < chunks; i++)
        {
            var chunk = (byte[])(await Db.StringGetAsync(_cluster.Key($"ckpt:42:{i}")))!;
            Assert.InRange(chunk.Length, 1, ChunkBytes);
            stored.AddRange(chunk);
        }

        Assert.True(expected.AsSpan().SequenceEqual(stored.ToArray()), "the chunks are not the snapshot format cut in order");
    }

    [Fact]
    public async Task LoadCheckpointAsync_NoCheckpoint_Null()
    {
        var store = await _cluster.OpenStoreAsync();

        Assert.Null(await store.Checkpoints.LoadCheckpointAsync());
    }

    [Fact]
    public async Task LoadCheckpointAsync_ChunkMissing_ThrowsInvalidData()
    {
        var store = await _cluster.OpenStoreAsync();
        await store.Checkpoints.WriteCheckpointAsync(Large(), 42, "node-a");
        await Db.KeyDeleteAsync(_cluster.Key("ckpt:42:1"));

        await Assert.ThrowsAsync<InvalidDataException>(store.Checkpoints.LoadCheckpointAsync);
    }

    [Fact]
    public async Task WriteCheckpointAsync_NewerThanStored_ReplacesItAndDeletesItsChunks()
    {
        var store = await _cluster.OpenStoreAsync();
        await store.Checkpoints.WriteCheckpointAsync(Small(), 5, "node-a");
        var newer = EirSnapshot.Build([35_693_803_564_380], [], [], []);

        var written = await store.Checkpoints.WriteCheckpointAsync(newer, 8, "node-b");
        var loaded = await store.Checkpoints.LoadCheckpointAsync();

        Assert.True(written);
        Assert.Equal(8, loaded?.Sequence);
        Assert.Equal(Format(newer, 8), Format(loaded!.Snapshot, 8));
        Assert.Equal([_cluster.Prefix + ":ckpt:8:0"], await ChunkKeysAsync());
    }

    [Fact]
    public async Task WriteCheckpointAsync_SameSequenceAsStored_NotWrittenStoredOneIntact()
    {
        var store = await _cluster.OpenStoreAsync();
        await store.Checkpoints.WriteCheckpointAsync(Small(), 5, "node-a");
        var before = await _cluster.DumpAsync();

        var written = await store.Checkpoints.WriteCheckpointAsync(Small(), 5, "node-b");

        Assert.False(written);
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    [Fact]
    public async Task WriteCheckpointAsync_OlderThanStored_NotWrittenAndNoChunksLeftBehind()
    {
        var store = await _cluster.OpenStoreAsync();
        await store.Checkpoints.WriteCheckpointAsync(Small(), 5, "node-a");
        var before = await _cluster.DumpAsync();

        // A node that lags behind the one that wrote the newest checkpoint tries too.
        var written = await store.Checkpoints.WriteCheckpointAsync(EirSnapshot.Build([35_693_803_564_380], [], [], []), 3, "node-b");

        Assert.False(written);
        Assert.Equal(5, (await store.Checkpoints.LoadCheckpointAsync())?.Sequence);
        Assert.Equal([_cluster.Prefix + ":ckpt:5:0"], await ChunkKeysAsync());
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    [Fact]
    public async Task WriteCheckpointAsync_AnotherNodeHoldsLock_NotWrittenLockAndLogUntouched()
    {
        var writer = await _cluster.OpenWriterAsync(o => o.LogEntriesKeptBehindCheckpoint = 0);
        await CommitBindingsAsync(writer, 1, 3);
        await Db.StringSetAsync(_cluster.Key("lock:ckpt"), "node-b", TimeSpan.FromMinutes(5));
        var before = await _cluster.DumpAsync();

        var written = await writer.Store.Checkpoints.WriteCheckpointAsync(writer.Index.Compact().Snapshot, 3, "node-a");

        Assert.False(written);
        Assert.Equal(before, await _cluster.DumpAsync());
        Assert.Equal("node-b", (await Db.StringGetAsync(_cluster.Key("lock:ckpt"))).ToString());
    }

    private static async Task CommitBindingsAsync(StoreWriter writer, int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            Assert.Equal(i, await writer.CommitOkAsync($"b-{i}", D.Bind("35209900176148", $"9967000000{i:D2}")));
        }
    }

    private async Task<(string? Seq, string? Chunks)> PointerAsync()
    {
        var seq = await Db.HashGetAsync(_cluster.Key("ckpt"), "seq");
        var chunks = await Db.HashGetAsync(_cluster.Key("ckpt"), "chunks");
        return (seq.IsNull ? null : seq.ToString(), chunks.IsNull ? null : chunks.ToString());
    }

    private async Task<string[]> ChunkKeysAsync()
        => [.. (await _cluster.DumpAsync()).Keys.Where(k => k.StartsWith(_cluster.Prefix + ":ckpt:", StringComparison.Ordinal))];

    private static byte[] Format(EirSnapshot snapshot, long sequence)
    {
        using var stream = new MemoryStream();
        SnapshotFormat.Write(stream, snapshot, sequence);
        return stream.ToArray();
    }

    private static EirSnapshot Small() => EirSnapshot.Build(
        [35_693_803_564_380, 35_209_900_176_148, 86_753_090_000_001],
        [35_332_206_453_425],
        [(35_332_206_453_425, new BindingRecord(996_700_111_111, 0)), (0, new BindingRecord(996_700_222_222, (437L << 4) + 15))],
        [((437_050_000_000_009L << 4) + 15, 996_700_222_222)]);

    // Bindings with an IMSI take about 30 bytes an IMEI in the checkpoint: 20 000 of them make two 512 KiB chunks.
    private static readonly Lazy<EirSnapshot> LargeSnapshot = new(() =>
    {
        const long firstImei = 35_693_803_000_000;
        var bindings = Enumerable.Range(0, 20_000).SelectMany(i => new[]
        {
            (firstImei + i, new BindingRecord(996_700_000_000 + i, ((437_010_000_000_000L + i) << 4) + 15)),
            (firstImei + i, new BindingRecord(996_701_000_000 + i, ((437_050_000_000_000L + i) << 4) + 15)),
        });
        return EirSnapshot.Build([firstImei], [firstImei + 1], bindings, [((437_050_000_000_009L << 4) + 15, 996_700_222_222)]);
    });

    private static EirSnapshot Large() => LargeSnapshot.Value;
}
