using System.Buffers;
using System.Runtime.CompilerServices;

namespace ImeiEir.Core.Registry;

/// <summary>
/// A hash table of record offsets (4 bytes a slot, no key stored): fixed <see cref="Segments"/> segments chosen by the
/// hash's top bits, each its own open-addressing array (linear probing, load ≤ ¾) that grows or drops its deleted
/// slots on its own. So no insert pays more than one segment's rehash (about 1/1024 of the table), and no array is
/// larger than a segment (below the large-object heap up to ~20 M keys). The caller compares the records a probe
/// yields with its key; a rehash asks <see cref="KeyHashes"/> for the hashes of a record's keys.
/// Not thread-safe: the owner locks; two tables may be built on two threads (each reads the records only).
/// </summary>
internal sealed class RecordTable
{
    /// <summary>Segments a table is cut in (a power of two).</summary>
    public const int Segments = 1 << SegmentBits;

    /// <summary>Slot value of a never-used slot (offset 0 is never a record).</summary>
    public const int Empty = 0;

    /// <summary>Slot value of a deleted entry (probes pass over it).</summary>
    public const int Deleted = -1;

    private const int SegmentBits = 10;
    private const int SlotBits = 31 - SegmentBits;
    private const int MinSegmentSlots = 8;

    private readonly int[][] _segments = new int[Segments][];
    private readonly int[] _used = new int[Segments]; // live and deleted slots of each segment
    private readonly int[] _live = new int[Segments];
    private readonly KeyHashes _keyHashes;

    /// <param name="keyHashes">The hashes of a record's keys held in this table (all of them: the table picks its segment's).</param>
    /// <param name="expected">Keys expected (each segment is sized for its share, at most half full).</param>
    public RecordTable(KeyHashes keyHashes, long expected = 0)
    {
        _keyHashes = keyHashes;
        var slots = SlotsFor((expected / Segments) + (expected > 0 ? 1 : 0));
        for (var s = 0; s < Segments; s++)
        {
            _segments[s] = new int[slots];
        }
    }

    /// <summary>Writes the hashes of <paramref name="record"/>'s keys held in this table into <paramref name="hashes"/>; returns how many.</summary>
    public delegate int KeyHashes(int record, Span<int> hashes);

    /// <summary>Most keys a record may hold (the buffer a rehash passes to <see cref="KeyHashes"/>).</summary>
    public const int MaxKeysPerRecord = byte.MaxValue;

    /// <summary>Bytes held by the slots.</summary>
    public long BytesHeld
    {
        get
        {
            var total = 0L;
            foreach (var s in _segments)
            {
                total += 4L * s.Length;
            }

            return total;
        }
    }

    /// <summary>The records on <paramref name="hash"/>'s probe path, up to the first empty slot (deleted ones skipped).</summary>
    public Probe Find(int hash) => new(this, hash);

    /// <summary>Puts <paramref name="record"/> under <paramref name="hash"/> (the caller knows the key is not in the table).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // also at start, when a checkpoint is loaded (DeviceDirectory.FillIds)
    public void Insert(int hash, int record)
    {
        var segment = SegmentOf(hash);
        if ((_used[segment] + 1) * 4L > _segments[segment].Length * 3L)
        {
            Rehash(segment, _live[segment] + 1);
        }

        var slots = _segments[segment];
        var mask = slots.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            if (slots[slot] is Empty or Deleted)
            {
                _used[segment] += slots[slot] == Empty ? 1 : 0;
                _live[segment]++;
                slots[slot] = record;
                return;
            }
        }
    }

    /// <summary>Replaces the entry a probe stopped at.</summary>
    public void ReplaceAt(in Probe at, int record) => _segments[at.Segment][at.Slot] = record;

    /// <summary>Deletes the entry a probe stopped at (a record with one key here).</summary>
    public void DeleteAt(in Probe at)
    {
        _segments[at.Segment][at.Slot] = Deleted;
        _live[at.Segment]--;
    }

    /// <summary>
    /// Deletes every entry of <paramref name="record"/> on <paramref name="hash"/>'s probe path. A slot does not say
    /// which of a record's keys it is for, and the slot of another of its keys may lie on this path: called for each of
    /// its keys, this deletes all of the record's entries, and no other record's.
    /// </summary>
    public void DeleteAll(int hash, int record)
    {
        for (var probe = Find(hash); probe.Next(out var r);)
        {
            if (r == record)
            {
                DeleteAt(probe);
            }
        }
    }

    /// <summary>
    /// Points the entries on <paramref name="hash"/>'s probe path that hold <paramref name="from"/> at <paramref name="to"/>
    /// (the record's bytes moved). Every one of them: the slot a record has for another of its keys may lie on this path.
    /// </summary>
    public void Relocate(int hash, int from, int to)
    {
        for (var probe = Find(hash); probe.Next(out var record);)
        {
            if (record == from)
            {
                ReplaceAt(probe, to);
            }
        }
    }

    private static int SegmentOf(int hash) => (hash >> SlotBits) & (Segments - 1);

    // Slots for `entries` keys at most half full (never below the minimum, a power of two).
    private static int SlotsFor(long entries)
    {
        var size = (long)MinSegmentSlots;
        while (size < entries * 2)
        {
            size *= 2;
        }

        return (int)Math.Min(size, 1 << SlotBits);
    }

    // Rebuilds one segment for `entries` keys: its live entries re-inserted from their records' keys, deleted slots dropped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rehash(int segment, long entries)
    {
        var current = _segments[segment];
        var size = SlotsFor(entries);
        int[]? copy = null;
        int[] slots;
        if (size == current.Length)
        {
            // Same size (deleted slots dropped, the usual case under churn): rebuilt in place from a pooled copy. A
            // new array per rehash outlived the youngest generation and was copied by every collection of a sync.
            copy = ArrayPool<int>.Shared.Rent(current.Length);
            current.CopyTo(copy, 0);
            Array.Clear(current);
            slots = current;
        }
        else
        {
            slots = new int[size];
        }

        try
        {
            RehashInto(segment, copy is null ? current : copy.AsSpan(0, current.Length), slots);
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<int>.Shared.Return(copy);
            }
        }
    }

    // Re-inserts the live entries of `old` (one segment's slots) into the empty `slots`.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RehashInto(int segment, ReadOnlySpan<int> old, int[] slots)
    {
        var mask = slots.Length - 1;
        Span<int> hashes = stackalloc int[MaxKeysPerRecord];
        List<int>? seen = null; // records with several keys in this segment, already re-inserted
        var live = 0;
        foreach (var record in old)
        {
            if (record is Empty or Deleted)
            {
                continue;
            }

            var count = _keyHashes(record, hashes);
            var mine = 0;
            for (var i = 0; i < count; i++)
            {
                mine += SegmentOf(hashes[i]) == segment ? 1 : 0;
            }

            var take = 1;
            if (mine > 1)
            {
                // A record with several keys here has one slot per key inserted so far: in the middle of inserting
                // its keys (this rehash made room for the next), only the first ones. Its slots are counted at its
                // first slot, and that many of its keys (in its order) re-inserted.
                seen ??= [];
                if (seen.Contains(record))
                {
                    continue;
                }

                seen.Add(record);
                take = 0;
                foreach (var r in old)
                {
                    take += r == record ? 1 : 0;
                }
            }

            for (var i = 0; i < count && take > 0; i++)
            {
                if (SegmentOf(hashes[i]) != segment)
                {
                    continue;
                }

                take--;

                var slot = hashes[i] & mask;
                while (slots[slot] != Empty)
                {
                    slot = (slot + 1) & mask;
                }

                slots[slot] = record;
                live++;
            }
        }

        _segments[segment] = slots;
        _used[segment] = live;
        _live[segment] = live;
    }

    /// <summary>A walk along one hash's probe path; <see cref="Next"/> yields each record on it.</summary>
    public ref struct Probe
    {
        private readonly int[] _slots;
        private readonly int _mask;
        private int _next;

        internal Probe(RecordTable table, int hash)
        {
            Segment = SegmentOf(hash);
            _slots = table._segments[Segment];
            _mask = _slots.Length - 1;
            _next = hash & _mask;
            Slot = -1;
        }

        internal int Segment { get; }

        internal int Slot { get; private set; }

        /// <summary>The next record on the path; false at the first empty slot.</summary>
        public bool Next(out int record)
        {
            // Ends: a table always keeps an empty slot (load ≤ ¾ counting deleted slots).
            while (true)
            {
                Slot = _next;
                _next = (_next + 1) & _mask;
                record = _slots[Slot];
                if (record == Empty)
                {
                    return false;
                }

                if (record != Deleted)
                {
                    return true;
                }
            }
        }
    }
}
