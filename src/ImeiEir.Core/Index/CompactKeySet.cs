using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ImeiEir.Core.Index;

/// <summary>
/// An immutable set of non-negative 64-bit keys, built once from sorted keys, answering membership and rank
/// without locks or allocation. The layout follows Roaring bitmaps: keys are cut into a high part (key >> 16,
/// one "container" per distinct value) and a 16-bit low part kept in the cheapest of three encodings:
/// <list type="bullet">
/// <item>array: sorted 16-bit lows, 2 bytes a key (sparse containers);</item>
/// <item>bitmap: 65 536 bits, 8 KiB, cheaper above 4 096 keys (dense TAC ranges);</item>
/// <item>runs: a 16-bit start and a 16-bit rank (keys before it in the container) per run of consecutive keys,
/// 4 bytes a run as in Roaring; a run's length is the next run's rank minus its own.</item>
/// </list>
/// Unlike a Roaring bitmap the container directory is an open-addressing hash table holding the 32-byte container
/// headers themselves (load factor 0.8, linear probing), so finding a container costs one probe, usually one cache
/// line, instead of a binary search or a pointer chase; array and run containers are searched by interpolation
/// (lows of one shipment lot are close to uniform), which lands within a cache line of the answer.
/// </summary>
public sealed unsafe class CompactKeySet
{
    private const int BitmapWords = 1024;           // 65 536 bits
    private const int BlockWords = 8;               // rank checkpoint every 8 words (512 bits)
    private const int BlocksPerBitmap = BitmapWords / BlockWords;
    private const int ArrayMax = 4096;              // an array above this is larger than a bitmap

    internal enum Kind : byte { Empty, Array, Bitmap, Runs }

    /// <summary>
    /// 16 bytes, so four headers share a cache line and the directory of a 100 M-key set is 1 MB (half of what
    /// 32-byte headers took): it stays in L2/L3 while the data lives in DRAM. The rank of each container, needed
    /// only by <see cref="Rank"/>, is in a parallel array, and a run container's key count is a sentinel run.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 16)]
    internal struct Header
    {
        /// <summary>High (47 bits, as key &gt;&gt;&gt; 16 of a non-negative key), Kind (2 bits), Count (15 bits); 0 in a free slot.</summary>
        public ulong Tag;
        public uint Start;      // array: index in lows; bitmap: word index in bits; runs: index of its first pair in runs
        public ushort First;    // array: first low; runs: first run start (kept here: the search needs both ends
        public ushort Last;     // array: last low; runs: last run start   before its first load of the data)

        public readonly long High => (long)(Tag >> 17);

        public readonly Kind Kind => (Kind)((Tag >> 15) & 3);

        /// <summary>Array: its length (at most 4 096); runs: the number of runs (below 32 768); bitmap: 0.</summary>
        public readonly int Count => (int)(Tag & 0x7FFF);
    }

    /// <summary>A container as the builder collects it.</summary>
    internal struct Container
    {
        public long High;
        public long Rank;       // keys in all earlier containers
        public int Start;
        public int Keys;        // keys in this container (array: its length)
        public ushort First;
        public ushort Last;
        public ushort RunCount; // runs: number of runs (at most 32 767)
        public Kind Kind;
    }

    // All arrays live in one native block (see NativeBlock for why). The pointers below point into it and are valid
    // as long as this set is reachable: the set holds the block, the block frees the memory only from its finalizer,
    // and a finalizer runs only once nothing reaches the set. Readers reach the set through a reference (the
    // snapshot's, or their own local), so no reader can be in the middle of a lookup when the memory goes; every
    // method that reads through the pointers ends with GC.KeepAlive(this) so that the JIT cannot end the set's
    // lifetime at the last field load, while the lookup is still reading the block.
    private readonly NativeBlock _block;
    private readonly Header* _table;                // open addressing by High, linear probing, ~20 % free
    private readonly long* _ranks;                  // per table slot: keys in all earlier containers
    private readonly ulong* _bits;
    private readonly ushort* _runs;                 // per run: start, then keys before it in its container (mod 65 536); one sentinel pair per container
    private readonly ushort* _lows;
    private readonly ushort* _blockRanks;           // per bitmap, keys before each 8-word block
    private readonly uint _slots;
    private readonly int[] _order;                  // table positions in ascending High order (enumeration)
    private readonly (int Lows, int Bits, int Runs, int BlockRanks) _sizes; // of the arrays: a builder of the next set starts at them

    public static CompactKeySet Empty { get; } = new Builder().Build();

    /// <summary>Number of keys.</summary>
    public long Count { get; }

    /// <summary>Bytes held by this set: its native block (all the data) plus the managed enumeration order.</summary>
    public long MemoryBytes => _block.Bytes + ((long)_order.Length * 4);

    /// <summary>Bytes of native memory (included in <see cref="MemoryBytes"/>), for the memory report.</summary>
    internal long NativeBytes => _block.Bytes;

    /// <summary>Counts of containers by encoding, for diagnostics and benchmarks.</summary>
    public (int Arrays, int Bitmaps, int Runs) ContainerCounts
    {
        get
        {
            int a = 0, b = 0, r = 0;
            for (var i = 0u; i < _slots; i++)
            {
                switch (_table[i].Kind)
                {
                    case Kind.Array: a++; break;
                    case Kind.Bitmap: b++; break;
                    case Kind.Runs: r++; break;
                }
            }

            GC.KeepAlive(this);
            return (a, b, r);
        }
    }

    private CompactKeySet(Builder b)
    {
        Count = b.Count;

        // Load factor 0.8 with any table size (not a power of two: that would waste up to half of it). At least
        // one slot stays free, so a probe for a missing key always ends.
        var containers = b.Containers;
        var slots = Math.Max(containers.Count + 1, (int)Math.Ceiling(containers.Count / 0.8));

        // Layout: headers first (the block's start is 2 MiB aligned, so the whole directory is in one or two huge
        // pages), then the 8-byte-aligned arrays, then the 2-byte ones.
        long tableBytes = (long)slots * sizeof(Header), rankBytes = (long)slots * 8, bitBytes = (long)b.Bits.Count * 8;
        long runBytes = (long)b.Runs.Count * 2, lowBytes = (long)b.Lows.Count * 2, blockRankBytes = (long)b.BlockRanks.Count * 2;
        _block = NativeBlock.Allocate(tableBytes + rankBytes + bitBytes + runBytes + lowBytes + blockRankBytes);
        var p = (byte*)_block.Address;
        _table = (Header*)p;
        _ranks = (long*)(p += tableBytes);
        _bits = (ulong*)(p += rankBytes);
        _runs = (ushort*)(p += bitBytes);
        _lows = (ushort*)(p += runBytes);
        _blockRanks = (ushort*)(p + lowBytes);
        _slots = (uint)slots;
        _sizes = (b.Lows.Count, b.Bits.Count, b.Runs.Count, b.BlockRanks.Count);
        CollectionsMarshal.AsSpan(b.Bits).CopyTo(new Span<ulong>(_bits, b.Bits.Count));
        CollectionsMarshal.AsSpan(b.Runs).CopyTo(new Span<ushort>(_runs, b.Runs.Count));
        CollectionsMarshal.AsSpan(b.Lows).CopyTo(new Span<ushort>(_lows, b.Lows.Count));
        CollectionsMarshal.AsSpan(b.BlockRanks).CopyTo(new Span<ushort>(_blockRanks, b.BlockRanks.Count));

        _order = new int[containers.Count];
        for (var i = 0; i < containers.Count; i++)
        {
            // A sparse set (IMSIs: a container per key) writes its slots in random order, a cache miss each: the slot
            // of a container PrefetchAhead further is fetched meanwhile.
            if (Sse.IsSupported && i + PrefetchAhead < containers.Count)
            {
                var ahead = Slot((ulong)containers[i + PrefetchAhead].High);
                Sse.Prefetch0(_table + ahead);
                Sse.Prefetch0(_ranks + ahead);
            }

            var c = containers[i];
            var slot = Slot((ulong)c.High);
            while (_table[slot].Tag != 0)
            {
                slot = slot + 1 == _slots ? 0 : slot + 1;
            }

            var count = c.Kind == Kind.Array ? c.Keys : c.Kind == Kind.Runs ? c.RunCount : 0;
            _table[slot] = new Header
            {
                Tag = ((ulong)c.High << 17) | ((ulong)c.Kind << 15) | (uint)count,
                Start = (uint)c.Start,
                First = c.First,
                Last = c.Last,
            };
            _ranks[slot] = c.Rank;
            _order[i] = (int)slot;
        }
    }

    private const int PrefetchAhead = 16;

    /// <summary>Builds a set from keys in strictly ascending order.</summary>
    public static CompactKeySet FromSorted(ReadOnlySpan<long> sortedKeys)
    {
        var b = new Builder();
        foreach (var k in sortedKeys)
        {
            b.Add(k);
        }

        return b.Build();
    }

    /// <summary>Builds a set from keys in any order, duplicates allowed.</summary>
    public static CompactKeySet FromUnsorted(IEnumerable<long> keys)
    {
        var array = keys.ToArray();
        Array.Sort(array);
        var b = new Builder();
        var first = true;
        long prev = 0;
        foreach (var k in array)
        {
            if (first || k != prev)
            {
                b.Add(k);
            }

            prev = k;
            first = false;
        }

        return b.Build();
    }

    /// <summary>Fibonacci hash of the high part, mapped onto the table by multiply-shift (no modulo).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Slot(ulong high) => (uint)(((high * 0x9E3779B97F4A7C15UL) >> 32) * _slots >> 32);

    /// <summary>Whether the key is in the set.</summary>
    /// <remarks>
    /// Its own path rather than <see cref="Rank"/>: membership needs no rank, and skipping the rank saves the
    /// popcounts of a bitmap block and the rank loads of runs on every hit.
    /// </remarks>
    public bool Contains(long key)
    {
        if (key < 0)
        {
            return false;
        }

        var c = FindContainer((ulong)key >> 16);
        var low = (ushort)key;
        var found = c->Kind switch
        {
            Kind.Empty => false,
            Kind.Array => SearchArray(_lows + c->Start, c->Count, low, c->First, c->Last) >= 0,
            Kind.Bitmap => ((_bits[c->Start + (uint)(low >> 6)] >> low) & 1) != 0,
            _ => FindRun(_runs + c->Start, c->Count, low, c->First, c->Last) >= 0,
        };
        GC.KeepAlive(this);
        return found;
    }

    /// <summary>Whether the key is in the set and, if so, its position among all keys in ascending order.</summary>
    public bool Rank(long key, out long rank)
    {
        rank = 0;
        if (key < 0)
        {
            return false;
        }

        var c = FindContainer((ulong)key >> 16);
        var found = false;
        if (c->Kind != Kind.Empty && ContainerRank(c, (ushort)key, out var inner))
        {
            rank = _ranks[c - _table] + inner;
            found = true;
        }

        GC.KeepAlive(this);
        return found;
    }

    /// <summary>The header of the container for <paramref name="high"/>, or a free slot (Kind.Empty) when there is none.</summary>
    /// <remarks>A free slot's tag is 0, whose high part is 0 too: a probe for high 0 may stop there, and reads Empty.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Header* FindContainer(ulong high)
    {
        var slot = Slot(high);
        while (true)
        {
            var c = _table + slot;
            var tag = c->Tag;
            if ((tag >> 17) == high || tag == 0)
            {
                return c;
            }

            slot = slot + 1 == _slots ? 0 : slot + 1;
        }
    }

    private bool ContainerRank(Header* c, ushort low, out int rank)
    {
        switch (c->Kind)
        {
            case Kind.Array:
                rank = SearchArray(_lows + c->Start, c->Count, low, c->First, c->Last);
                return rank >= 0;
            case Kind.Bitmap:
            {
                var start = (int)c->Start;
                var word = low >> 6;
                var w = _bits[start + word];
                if ((w & (1UL << low)) == 0)
                {
                    rank = 0;
                    return false;
                }

                var bitmapIndex = start / BitmapWords;
                var block = word / BlockWords;
                var r = (int)_blockRanks[(bitmapIndex * BlocksPerBitmap) + block];
                for (var i = start + (block * BlockWords); i < start + word; i++)
                {
                    r += BitOperations.PopCount(_bits[i]);
                }

                rank = r + BitOperations.PopCount(w & ((1UL << low) - 1));
                return true;
            }

            default:
            {
                var runs = _runs + c->Start;
                var run = FindRun(runs, c->Count, low, c->First, c->Last);
                if (run >= 0)
                {
                    rank = runs[(2 * run) + 1] + (low - runs[2 * run]);
                    return true;
                }

                rank = 0;
                return false;
            }
        }
    }

    /// <summary>
    /// The run of a run container holding <paramref name="low"/>, or -1. Runs are (start, rank) pairs side by side,
    /// followed by a sentinel pair whose rank is the container's key count, so the run found and the next one's rank
    /// (which gives its length) share a cache line. The search is an interpolation guess then galloping, as in
    /// <see cref="SearchArray"/>: run starts of a shipment lot are spread evenly too, and a plain binary search over
    /// a thousand runs costs ten dependent cache misses once the set outgrows L2.
    /// </summary>
    private static int FindRun(ushort* runs, int n, ushort low, ushort first, ushort last)
    {
        if (low < first)
        {
            return -1;
        }

        int found;
        if (low >= last)
        {
            found = n - 1;
        }
        else
        {
            // Here first <= low < last, so n >= 2 and the guess is in [0, n - 2].
            var guess = (int)((long)(low - first) * (n - 1) / (last - first));
            int lo, hi; // invariant: start(lo) <= low < start(hi) (hi == n: past the end)
            if (runs[2 * guess] <= low)
            {
                lo = guess;
                var step = 1;
                hi = guess + 1;
                while (hi < n && runs[2 * hi] <= low)
                {
                    lo = hi;
                    step <<= 1;
                    hi = guess + step;
                }

                hi = Math.Min(hi, n);
            }
            else
            {
                hi = guess;
                var step = 1;
                lo = guess - 1;
                while (lo > 0 && runs[2 * lo] > low)
                {
                    hi = lo;
                    step <<= 1;
                    lo = guess - step;
                }

                lo = Math.Max(lo, 0);
            }

            while (hi - lo > 1)
            {
                var mid = (lo + hi) >>> 1;
                if (runs[2 * mid] <= low)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }
            }

            found = lo;
        }

        return low - runs[2 * found] < RunLength(runs, found) ? found : -1;
    }

    /// <summary>Keys in run <paramref name="run"/>: 1 to 65 536, from ranks kept modulo 65 536 (a run is never empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RunLength(ushort* runs, int run) => (ushort)(runs[(2 * run) + 3] - runs[(2 * run) + 1] - 1) + 1;

    /// <summary>
    /// Interpolation guess, then a galloping search from it: lows of a TAC range are close to uniform, so the
    /// guess is usually within a few entries and the search touches one or two cache lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SearchArray(ushort* lows, int n, ushort low, ushort first, ushort last)
    {
        if (low < first || low > last)
        {
            return -1;
        }

        var span = last - first;
        var guess = span == 0 ? 0 : (int)((long)(low - first) * (n - 1) / span);
        int lo, hi;
        if (lows[guess] < low)
        {
            var step = 1;
            lo = guess + 1;
            hi = guess + step;
            while (hi < n && lows[hi] < low)
            {
                lo = hi + 1;
                step <<= 1;
                hi = guess + step;
            }

            hi = Math.Min(hi, n - 1);
        }
        else if (lows[guess] > low)
        {
            var step = 1;
            hi = guess - 1;
            lo = guess - step;
            while (lo > 0 && lows[lo] > low)
            {
                hi = lo - 1;
                step <<= 1;
                lo = guess - step;
            }

            lo = Math.Max(lo, 0);
        }
        else
        {
            return guess;
        }

        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var v = lows[mid];
            if (v == low)
            {
                return mid;
            }

            if (v < low)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    /// <summary>Where a <see cref="CopyKeys"/> walk is: the container, and the position inside it.</summary>
    internal struct KeyCursor
    {
        internal int Container; // index into the containers in key order
        internal int Item;      // array: next index; bitmap: next bit; runs: run index
        internal int Within;    // runs: next offset inside the run
    }

    /// <summary>
    /// Copies the next keys in ascending order into <paramref name="destination"/> and returns how many (0 once every
    /// key was copied): the one walk over the containers, behind <see cref="Keys"/> and <see cref="KeyBlocks"/>.
    /// </summary>
    internal int CopyKeys(ref KeyCursor cursor, Span<long> destination)
    {
        var n = 0;
        while (n < destination.Length && cursor.Container < _order.Length)
        {
            var c = HeaderAt(_order[cursor.Container]);
            var basis = c.High << 16;
            bool done;
            switch (c.Kind)
            {
                case Kind.Array:
                {
                    var i = cursor.Item;
                    for (; i < c.Count && n < destination.Length; i++)
                    {
                        destination[n++] = basis | LowAt(c.Start + (uint)i);
                    }

                    cursor.Item = i;
                    done = i >= c.Count;
                    break;
                }

                case Kind.Bitmap:
                {
                    var bit = cursor.Item;
                    while (bit < BitmapWords * 64 && n < destination.Length)
                    {
                        var w = bit >> 6;
                        var bits = WordAt(c.Start + (uint)w) & (ulong.MaxValue << (bit & 63));
                        if (bits == 0)
                        {
                            bit = (w + 1) << 6;
                            continue;
                        }

                        var t = BitOperations.TrailingZeroCount(bits);
                        destination[n++] = basis | (long)((w << 6) + t);
                        bit = (w << 6) + t + 1;
                    }

                    cursor.Item = bit;
                    done = bit >= BitmapWords * 64;
                    break;
                }

                default:
                {
                    var (r, k) = (cursor.Item, cursor.Within);
                    while (r < c.Count && n < destination.Length)
                    {
                        var (start, length) = RunAt(c.Start, r);
                        for (; k < length && n < destination.Length; k++)
                        {
                            destination[n++] = basis | (long)(start + k);
                        }

                        if (k >= length)
                        {
                            (r, k) = (r + 1, 0);
                        }
                    }

                    (cursor.Item, cursor.Within) = (r, k);
                    done = r >= c.Count;
                    break;
                }
            }

            if (done)
            {
                cursor = new KeyCursor { Container = cursor.Container + 1 };
            }
        }

        GC.KeepAlive(this);
        return n;
    }

    /// <summary>All keys in ascending order, one at a time (allocates an enumerator; bulk walks use <see cref="KeyBlocks"/>).</summary>
    /// <remarks>The enumerator holds this set, so the block stays alive while it runs.</remarks>
    public IEnumerable<long> Keys()
    {
        var buffer = new long[KeyBlock];
        var cursor = default(KeyCursor);
        int n;
        while ((n = CopyKeys(ref cursor, buffer)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                yield return buffer[i];
            }
        }
    }

    /// <summary>All keys in ascending order, a block at a time: <c>foreach (var block in set.KeyBlocks())</c>.</summary>
    internal KeyBlockEnumerator KeyBlocks() => new(this);

    /// <summary>Keys copied per block by <see cref="KeyBlocks"/>.</summary>
    internal const int KeyBlock = 4096;

    internal ref struct KeyBlockEnumerator(CompactKeySet set)
    {
        private readonly long[] _buffer = new long[KeyBlock];
        private KeyCursor _cursor;
        private int _count;

        public readonly ReadOnlySpan<long> Current => _buffer.AsSpan(0, _count);

        public readonly KeyBlockEnumerator GetEnumerator() => this;

        public bool MoveNext() => (_count = set.CopyKeys(ref _cursor, _buffer)) > 0;
    }

    // Accessors for the walk above.
    private Header HeaderAt(int slot) => _table[slot];

    private ushort LowAt(uint index) => _lows[index];

    private ulong WordAt(uint index) => _bits[index];

    private (int Start, int Length) RunAt(uint start, int run) => (_runs[start + (2 * run)], RunLength(_runs + start, run));

    /// <summary>Accepts keys in strictly ascending order and encodes each container as it closes.</summary>
    public sealed class Builder
    {
        internal readonly List<Container> Containers;
        internal readonly List<ushort> Lows;
        internal readonly List<ulong> Bits;
        internal readonly List<ushort> BlockRanks;
        internal readonly List<ushort> Runs;

        public Builder()
        {
            Containers = [];
            Lows = [];
            Bits = [];
            BlockRanks = [];
            Runs = [];
        }

        /// <summary>
        /// A builder of a set like <paramref name="like"/> with about <paramref name="moreKeys"/> keys more (a
        /// compaction): its lists start at that set's sizes, so they are not regrown (and recopied) on the way.
        /// </summary>
        internal Builder(CompactKeySet like, int moreKeys)
        {
            var (lows, bits, runs, blockRanks) = like._sizes;
            Containers = new(like._order.Length + Math.Min(moreKeys, like._order.Length / 8) + 16);
            Lows = new(lows + moreKeys);
            Bits = new(bits + BitmapWords);
            BlockRanks = new(blockRanks + BlocksPerBitmap);
            Runs = new(runs + 64);
        }
        private readonly ushort[] _pending = new ushort[65536];
        private int _pendingCount;
        private long _pendingHigh = -1;
        private long _last = -1;

        internal long Count { get; private set; }

        /// <summary>Adds the next key; it must be larger than every key added before.</summary>
        public void Add(long key)
        {
            if (key <= _last)
            {
                throw new ArgumentException($"Keys must be non-negative and strictly ascending: {key} after {_last}.", nameof(key));
            }

            _last = key;
            var high = key >>> 16;
            if (high != _pendingHigh)
            {
                Flush();
                _pendingHigh = high;
            }

            _pending[_pendingCount++] = (ushort)key;
        }

        public CompactKeySet Build()
        {
            Flush();
            return new CompactKeySet(this);
        }

        private void Flush()
        {
            if (_pendingCount == 0)
            {
                return;
            }

            var lows = _pending.AsSpan(0, _pendingCount);
            var runs = 1;
            for (var i = 1; i < lows.Length; i++)
            {
                if (lows[i] != lows[i - 1] + 1)
                {
                    runs++;
                }
            }

            var arrayBytes = lows.Length * 2;
            const int bitmapBytes = (BitmapWords * 8) + (BlocksPerBitmap * 2);
            var runBytes = (runs + 1) * 4;   // with the sentinel pair
            var c = new Container { High = _pendingHigh, Rank = Count, Keys = lows.Length, First = lows[0], Last = lows[^1] };
            if (runBytes < arrayBytes && runBytes < bitmapBytes)
            {
                c.Kind = Kind.Runs;
                c.Start = Runs.Count;
                c.RunCount = (ushort)runs;  // runs * 4 < keys * 2 <= 131 072, so runs < 32 768 (15 bits of the header)
                var i = 0;
                while (i < lows.Length)
                {
                    var j = i;
                    while (j + 1 < lows.Length && lows[j + 1] == lows[j] + 1)
                    {
                        j++;
                    }

                    Runs.Add(lows[i]);
                    Runs.Add((ushort)i);
                    c.Last = lows[i];
                    i = j + 1;
                }

                // Sentinel: its rank ends the last run (65 536 keys wraps to 0; see RunLength).
                Runs.Add(0);
                Runs.Add((ushort)lows.Length);
            }
            else if (lows.Length <= ArrayMax && arrayBytes <= bitmapBytes)
            {
                c.Kind = Kind.Array;
                c.Start = Lows.Count;
                Lows.AddRange(lows);
            }
            else
            {
                c.Kind = Kind.Bitmap;
                c.Start = Bits.Count;
                Span<ulong> words = new ulong[BitmapWords];
                foreach (var l in lows)
                {
                    words[l >> 6] |= 1UL << l;
                }

                var running = 0;
                for (var w = 0; w < BitmapWords; w++)
                {
                    if (w % BlockWords == 0)
                    {
                        BlockRanks.Add((ushort)running);
                    }

                    running += BitOperations.PopCount(words[w]);
                }

                Bits.AddRange(words);
            }

            Containers.Add(c);
            Count += lows.Length;
            _pendingCount = 0;
        }
    }
}
