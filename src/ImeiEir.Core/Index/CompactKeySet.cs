using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
public sealed class CompactKeySet
{
    private const int BitmapWords = 1024;           // 65 536 bits
    private const int BlockWords = 8;               // rank checkpoint every 8 words (512 bits)
    private const int BlocksPerBitmap = BitmapWords / BlockWords;
    private const int ArrayMax = 4096;              // an array above this is larger than a bitmap

    internal enum Kind : byte { Empty, Array, Bitmap, Runs }

    // 32 bytes, so two headers share a cache line and none straddles two.
    [StructLayout(LayoutKind.Sequential, Pack = 1, Size = 32)]
    internal struct Container
    {
        public long High;
        public long Rank;       // keys in all earlier containers
        public int Start;       // array: index in _lows; bitmap: word index in _bits; runs: index of its first pair in _runs
        public int Keys;        // keys in this container (array: its length)
        public ushort First;    // array: first low; runs: first run start (kept here: the search needs both ends
        public ushort Last;     // array: last low; runs: last run start   before its first load of the data)
        public ushort RunCount; // runs: number of runs (at most 32 768)
        public Kind Kind;       // Empty: a free slot of the table
    }

    private readonly Container[] _table;            // open addressing by High, linear probing, ~20 % free
    private readonly int[] _order;                  // table positions in ascending High order (enumeration)
    private readonly ushort[] _lows;
    private readonly ulong[] _bits;
    private readonly ushort[] _blockRanks;          // per bitmap, keys before each 8-word block
    private readonly ushort[] _runs;                // per run: start, then keys before it in its container (< 65 536)

    public static CompactKeySet Empty { get; } = new Builder().Build();

    /// <summary>Number of keys.</summary>
    public long Count { get; }

    /// <summary>Bytes held by this set's arrays (the managed heap it pins).</summary>
    public long MemoryBytes =>
        ((long)_table.Length * Unsafe.SizeOf<Container>()) + ((long)_order.Length * 4) + ((long)_lows.Length * 2) +
        ((long)_bits.Length * 8) + ((long)_blockRanks.Length * 2) + ((long)_runs.Length * 2);

    /// <summary>Counts of containers by encoding, for diagnostics and benchmarks.</summary>
    public (int Arrays, int Bitmaps, int Runs) ContainerCounts
    {
        get
        {
            int a = 0, b = 0, r = 0;
            foreach (ref readonly var c in _table.AsSpan())
            {
                switch (c.Kind)
                {
                    case Kind.Array: a++; break;
                    case Kind.Bitmap: b++; break;
                    case Kind.Runs: r++; break;
                }
            }

            return (a, b, r);
        }
    }

    private CompactKeySet(Builder b)
    {
        _lows = [.. b.Lows];
        _bits = [.. b.Bits];
        _blockRanks = [.. b.BlockRanks];
        _runs = [.. b.Runs];
        Count = b.Count;

        // Load factor 0.8 with any table size (not a power of two: that would waste up to half of it): the
        // headers replace the former index table, so the whole directory costs about what the headers alone did.
        // At least one slot stays free, so a probe for a missing key always ends.
        var containers = b.Containers;
        _table = new Container[Math.Max(containers.Count + 1, (int)Math.Ceiling(containers.Count / 0.8))];
        _order = new int[containers.Count];
        for (var i = 0; i < containers.Count; i++)
        {
            var slot = Slot(containers[i].High);
            while (_table[slot].Kind != Kind.Empty)
            {
                slot = slot + 1 == _table.Length ? 0 : slot + 1;
            }

            _table[slot] = containers[i];
            _order[i] = slot;
        }
    }

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
    private int Slot(long high) => (int)(((ulong)(uint)((ulong)(high * unchecked((long)0x9E3779B97F4A7C15UL)) >> 32) * (ulong)(uint)_table.Length) >> 32);

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

        ref var c = ref FindContainer(key >>> 16);
        var low = (ushort)key;
        return c.Kind switch
        {
            Kind.Empty => false,
            Kind.Array => SearchArray(_lows.AsSpan(c.Start, c.Keys), low, c.First, c.Last) >= 0,
            Kind.Bitmap => (_bits[c.Start + (low >> 6)] & (1UL << low)) != 0,
            _ => FindRun(ref c, low) >= 0,
        };
    }

    /// <summary>Whether the key is in the set and, if so, its position among all keys in ascending order.</summary>
    public bool Rank(long key, out long rank)
    {
        rank = 0;
        if (key < 0)
        {
            return false;
        }

        ref var c = ref FindContainer(key >>> 16);
        if (c.Kind != Kind.Empty && ContainerRank(ref c, (ushort)key, out var inner))
        {
            rank = c.Rank + inner;
            return true;
        }

        return false;
    }

    /// <summary>The header of the container for <paramref name="high"/>, or a free slot (Kind.Empty) when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Container FindContainer(long high)
    {
        var table = _table;
        var slot = Slot(high);
        while (true)
        {
            // Bounds check elided: Slot() is below the table length and the probe wraps at it.
            ref var c = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), slot);
            if (c.High == high || c.Kind == Kind.Empty)
            {
                return ref c;
            }

            slot = slot + 1 == table.Length ? 0 : slot + 1;
        }
    }

    private bool ContainerRank(ref Container c, ushort low, out int rank)
    {
        switch (c.Kind)
        {
            case Kind.Array:
                rank = SearchArray(_lows.AsSpan(c.Start, c.Keys), low, c.First, c.Last);
                return rank >= 0;
            case Kind.Bitmap:
            {
                var word = low >> 6;
                var w = _bits[c.Start + word];
                if ((w & (1UL << low)) == 0)
                {
                    rank = 0;
                    return false;
                }

                var bitmapIndex = c.Start / BitmapWords;
                var block = word / BlockWords;
                var r = (int)_blockRanks[(bitmapIndex * BlocksPerBitmap) + block];
                for (var i = c.Start + (block * BlockWords); i < c.Start + word; i++)
                {
                    r += BitOperations.PopCount(_bits[i]);
                }

                rank = r + BitOperations.PopCount(w & ((1UL << low) - 1));
                return true;
            }

            default:
            {
                var run = FindRun(ref c, low);
                if (run >= 0)
                {
                    rank = _runs[(2 * run) + c.Start + 1] + (low - _runs[(2 * run) + c.Start]);
                    return true;
                }

                rank = 0;
                return false;
            }
        }
    }

    /// <summary>
    /// The run of a run container holding <paramref name="low"/>, or -1. Runs are (start, rank) pairs side by side,
    /// so the run found and the next one's rank (which gives its length) share a cache line. The search is an
    /// interpolation guess then galloping, as in <see cref="SearchArray"/>: run starts of a shipment lot are spread
    /// evenly too, and a plain binary search over a thousand runs costs ten dependent cache misses once the set
    /// outgrows L2.
    /// </summary>
    private int FindRun(ref Container c, ushort low)
    {
        var first = c.First;
        if (low < first)
        {
            return -1;
        }

        var n = (int)c.RunCount;
        var runs = _runs.AsSpan(c.Start, 2 * n);
        int found;
        var last = c.Last;
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

        var rank = runs[(2 * found) + 1];
        var length = (found + 1 < n ? runs[(2 * found) + 3] : c.Keys) - rank;
        return low - runs[2 * found] < length ? found : -1;
    }

    /// <summary>
    /// Interpolation guess, then a galloping search from it: lows of a TAC range are close to uniform, so the
    /// guess is usually within a few entries and the search touches one or two cache lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SearchArray(ReadOnlySpan<ushort> lows, ushort low, ushort first, ushort last)
    {
        var n = lows.Length;
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

    /// <summary>All keys in ascending order (for compaction and snapshots; allocates an enumerator).</summary>
    public IEnumerable<long> Keys()
    {
        foreach (var position in _order)
        {
            var c = _table[position];
            var basis = c.High << 16;
            switch (c.Kind)
            {
                case Kind.Array:
                    for (var i = 0; i < c.Keys; i++)
                    {
                        yield return basis | _lows[c.Start + i];
                    }

                    break;
                case Kind.Bitmap:
                    for (var w = 0; w < BitmapWords; w++)
                    {
                        var bits = _bits[c.Start + w];
                        while (bits != 0)
                        {
                            var t = BitOperations.TrailingZeroCount(bits);
                            yield return basis | (long)((w << 6) + t);
                            bits &= bits - 1;
                        }
                    }

                    break;
                default:
                    for (var r = 0; r < c.RunCount; r++)
                    {
                        var s = _runs[c.Start + (2 * r)];
                        var len = (r + 1 < c.RunCount ? _runs[c.Start + (2 * r) + 3] : c.Keys) - _runs[c.Start + (2 * r) + 1];
                        for (var i = 0; i < len; i++)
                        {
                            yield return basis | (long)(s + i);
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>Accepts keys in strictly ascending order and encodes each container as it closes.</summary>
    public sealed class Builder
    {
        internal readonly List<Container> Containers = [];
        internal readonly List<ushort> Lows = [];
        internal readonly List<ulong> Bits = [];
        internal readonly List<ushort> BlockRanks = [];
        internal readonly List<ushort> Runs = [];
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
            var runBytes = runs * 4;
            var c = new Container { High = _pendingHigh, Rank = Count, Keys = lows.Length, First = lows[0], Last = lows[^1] };
            if (runBytes < arrayBytes && runBytes < bitmapBytes)
            {
                c.Kind = Kind.Runs;
                c.Start = Runs.Count;
                c.RunCount = (ushort)runs;  // runs * 4 < keys * 2 <= 131 072, so runs < 32 768
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
