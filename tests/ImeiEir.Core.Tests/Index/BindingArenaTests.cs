using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>
/// <see cref="BindingArena"/>: the overlay's binding records, appended to chunks of plain structs. A slice reads back
/// what was appended whatever came after it (new chunks, a grown directory, a batch taken back); a list never spans
/// two chunks; a batch taken back leaves the arena as it was, and the next batch reuses its room.
/// </summary>
public class BindingArenaTests
{
    private static BindingRecord[] Records(int count, long first) =>
        [.. Enumerable.Range(0, count).Select(i => new BindingRecord(first + i, i % 3 == 0 ? 0 : first + i + 1_000_000))];

    [Fact]
    public void EmptyList_IsTheEmptySlice_AndReadsAsNothing()
    {
        var arena = new BindingArena();

        var slice = arena.Append([], null);

        Assert.Equal(BindingSlice.Empty, slice);
        Assert.True(arena.Records(slice).IsEmpty);
        Assert.Equal(0, arena.Count);
    }

    [Fact]
    public void EverySlice_ReadsBackItsRecords_AfterManyChunksAndDirectoryGrowth()
    {
        var arena = new BindingArena();
        var appended = new List<(BindingSlice Slice, BindingRecord[] Records)>();
        var rng = new Random(7);
        long total = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var records = Records(1 + rng.Next(40), i * 100L);
            appended.Add((arena.Append(records, null), records));
            total += records.Length;
        }

        Assert.Equal(total, arena.Count);
        Assert.True(appended[^1].Slice.Chunk > 4, "the directory must have grown past its first four chunks");
        foreach (var (slice, records) in appended)
        {
            Assert.Equal(records, arena.Records(slice).ToArray());
        }
    }

    [Fact]
    public void ListLongerThanAChunk_GetsAChunkOfItsOwn_AndTheNextListANewOne()
    {
        var arena = new BindingArena();
        var small = Records(10, 1);
        var huge = Records(BindingArena.MaxChunkRecords + 5, 100);
        var after = Records(3, 10_000_000);

        var a = arena.Append(small, null);
        var b = arena.Append(huge, [1, 2, 3]);
        var c = arena.Append(after, null);

        Assert.NotEqual(a.Chunk, b.Chunk);
        Assert.Equal(0, b.Start);
        Assert.NotEqual(b.Chunk, c.Chunk);
        Assert.Equal(huge, arena.Records(b).ToArray());
        Assert.Equal([1L, 2, 3], b.SortedImsis!);
        Assert.Equal(small, arena.Records(a).ToArray());
        Assert.Equal(after, arena.Records(c).ToArray());
    }

    [Fact]
    public void TruncateTo_TakesBackABatch_AndTheNextBatchReusesItsRoom()
    {
        var arena = new BindingArena();
        var kept = Enumerable.Range(0, 30).Select(i => Records(20, i * 1_000L)).ToArray();
        var keptSlices = kept.Select(r => arena.Append(r, null)).ToArray();
        var mark = arena.Mark();
        var bytes = arena.MemoryBytes;

        // A batch taken back, large enough to start chunks of its own.
        for (var i = 0; i < 200; i++)
        {
            arena.Append(Records(50, 5_000_000 + (i * 100L)), null);
        }

        var grown = arena.MemoryBytes;
        arena.TruncateTo(mark);

        Assert.Equal(kept.Sum(r => r.Length), arena.Count);
        for (var i = 0; i < kept.Length; i++)
        {
            Assert.Equal(kept[i], arena.Records(keptSlices[i]).ToArray());
        }

        // The same batch again: it fits in the chunks the first attempt left (no new memory), and reads back.
        var again = Enumerable.Range(0, 200).Select(i => Records(50, 9_000_000 + (i * 100L))).ToArray();
        var againSlices = again.Select(r => arena.Append(r, null)).ToArray();
        Assert.True(grown > bytes);
        Assert.Equal(grown, arena.MemoryBytes);
        for (var i = 0; i < again.Length; i++)
        {
            Assert.Equal(again[i], arena.Records(againSlices[i]).ToArray());
        }

        for (var i = 0; i < kept.Length; i++)
        {
            Assert.Equal(kept[i], arena.Records(keptSlices[i]).ToArray());
        }
    }

    [Fact]
    public void FirstChunk_IsSizedWithinTheChunkBounds()
    {
        Assert.Equal(BindingArena.FirstChunkRecords * 16L, new BindingArena(1).MemoryBytes);
        Assert.Equal(5_000 * 16L, new BindingArena(5_000).MemoryBytes);
        Assert.Equal(BindingArena.MaxChunkRecords * 16L, new BindingArena(int.MaxValue).MemoryBytes);
    }

    [Fact]
    public void Index_KeepsNoReferenceToTheEffectsLists_BelowTheImsiIndexThreshold()
    {
        // What the arena is for: the overlay's map holds numbers, so a young collection has nothing to trace from it.
        var index = new EirIndex();
        index.Load(EirSnapshot.Build([], [], [], []), 0);
        var many = Enumerable.Range(0, BindingList.ImsiIndexThreshold).Select(i => Mutation.Bind(2, 100 + i, 500 + i));
        var view = index.Apply(1, [Mutation.Bind(1, 10, 20), .. many], DateTimeOffset.UnixEpoch);

        Assert.True(view.Changes.Bindings.TryGet(1, 1, out var few));
        Assert.Null(few.SortedImsis);
        Assert.True(view.Changes.Bindings.TryGet(2, 1, out var clone));
        Assert.NotNull(clone.SortedImsis);
        Assert.Equal([new BindingRecord(10, 20)], view.GetBindings(1).Records.ToArray());
        Assert.True(view.GetBindings(2).HasImsi(500 + BindingList.ImsiIndexThreshold - 1));
    }
}
