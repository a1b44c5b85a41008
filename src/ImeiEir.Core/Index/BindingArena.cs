namespace ImeiEir.Core.Index;

/// <summary>Where an IMEI's binding records lie in a <see cref="BindingArena"/>: a number, not a reference to a young object.</summary>
/// <remarks>
/// <see cref="SortedImsis"/> is set only for an IMEI with <see cref="BindingList.ImsiIndexThreshold"/> or more
/// records (a cloned or the null IMEI): rare, so the overlay's map of slices points at almost no young object.
/// </remarks>
internal readonly record struct BindingSlice(int Chunk, int Start, int Count, long[]? SortedImsis)
{
    /// <summary>No records: the IMEI has none left.</summary>
    public static BindingSlice Empty => default;
}

/// <summary>
/// The binding records an overlay's batches wrote, appended to large arrays of plain records (no references in them)
/// and addressed by <see cref="BindingSlice"/>. One writer appends; readers of published views read without a lock.
/// </summary>
/// <remarks>
/// Why: the overlay lives long (it is promoted to the oldest generation), and every batch stores what it writes in
/// it. When that was a new <see cref="BindingList"/> object per changed IMEI, every young collection found each new
/// list through the card table of the overlay's map (an old object pointing at a young one) and copied it: most of
/// what a young collection promoted during a paced sync, and its pause. Records copied into a chunk of plain structs
/// leave the collector nothing to trace. A chunk is never moved or rewritten while a published view can read it:
/// records are only appended; <see cref="TruncateTo"/> takes back records of a batch no view has published, whose
/// place the next batch then reuses. Chunks grow from <see cref="FirstChunkRecords"/> to
/// <see cref="MaxChunkRecords"/> (1 MiB); a list that does not fit in what is left of a chunk starts the next one, and
/// a list longer than a whole chunk gets a chunk of its own size.
/// </remarks>
internal sealed class BindingArena
{
    /// <summary>Records in the first chunk (4 KiB), so an index with few changes holds little.</summary>
    public const int FirstChunkRecords = 256;

    /// <summary>Records in a chunk at most (1 MiB of 16-byte records), except a single longer list.</summary>
    public const int MaxChunkRecords = 1 << 16;

    private BindingRecord[][] _chunks;
    private int _chunkCount;
    private int _used;

    /// <summary>An empty arena whose first chunk holds <paramref name="records"/> (rounded into the chunk bounds).</summary>
    public BindingArena(int records = FirstChunkRecords)
    {
        _chunks = new BindingRecord[4][];
        _chunks[0] = new BindingRecord[Math.Clamp(records, FirstChunkRecords, MaxChunkRecords)];
        _chunkCount = 1;
    }

    /// <summary>Records appended and not taken back (every version of every list).</summary>
    public long Count { get; private set; }

    /// <summary>Bytes of the chunks (16 a record slot).</summary>
    public long MemoryBytes
    {
        get
        {
            long bytes = 0;
            for (var i = 0; i < _chunkCount; i++)
            {
                bytes += (long)_chunks[i].Length * 16;
            }

            return bytes;
        }
    }

    /// <summary>Copies <paramref name="records"/> in (writer only) and says where they are.</summary>
    public BindingSlice Append(ReadOnlySpan<BindingRecord> records, long[]? sortedImsis)
    {
        if (records.IsEmpty)
        {
            return BindingSlice.Empty;
        }

        var chunk = _chunks[_chunkCount - 1];
        if (chunk.Length - _used < records.Length)
        {
            chunk = StartChunk(Math.Max(records.Length, Math.Min(MaxChunkRecords, 2 * chunk.Length)));
        }

        var start = _used;
        records.CopyTo(chunk.AsSpan(start));
        _used += records.Length;
        Count += records.Length;
        return new BindingSlice(_chunkCount - 1, start, records.Length, sortedImsis);
    }

    /// <summary>The records of <paramref name="slice"/> (any thread, for a slice of a published view).</summary>
    public ReadOnlySpan<BindingRecord> Records(scoped in BindingSlice slice) =>
        slice.Count == 0 ? default : Volatile.Read(ref _chunks)[slice.Chunk].AsSpan(slice.Start, slice.Count);

    /// <summary>A position to take back to with <see cref="TruncateTo"/>.</summary>
    public (int Chunks, int Used, long Count) Mark() => (_chunkCount, _used, Count);

    /// <summary>
    /// Takes back the records appended since <paramref name="mark"/> (writer only; no published view may refer to
    /// them). Chunks started since stay allocated, empty, for the next batch.
    /// </summary>
    public void TruncateTo((int Chunks, int Used, long Count) mark)
    {
        _chunkCount = mark.Chunks;
        _used = mark.Used;
        Count = mark.Count;
    }

    private BindingRecord[] StartChunk(int records)
    {
        // A chunk kept from a batch taken back is reused when it is large enough.
        if (_chunkCount < _chunks.Length && _chunks[_chunkCount] is { } kept && kept.Length >= records)
        {
            _chunkCount++;
            _used = 0;
            return kept;
        }

        var chunks = _chunks;
        if (_chunkCount == chunks.Length)
        {
            // Readers may hold the old directory: it keeps every chunk they can address, and nothing in it changes.
            chunks = new BindingRecord[2 * _chunks.Length][];
            Array.Copy(_chunks, chunks, _chunkCount);
        }

        var chunk = new BindingRecord[records];
        chunks[_chunkCount] = chunk;
        if (!ReferenceEquals(chunks, _chunks))
        {
            Volatile.Write(ref _chunks, chunks);
        }

        _chunkCount++;
        _used = 0;
        return chunk;
    }
}
