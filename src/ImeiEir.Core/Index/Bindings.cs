using System.Runtime.InteropServices;

namespace ImeiEir.Core.Index;

/// <summary>
/// One binding record of an IMEI (the IMEI is the table key): the subscriber number and, optionally, the IMSI.
/// <see cref="Msisdn"/> is 0 for an amnesty record that only knew the IMSI; <see cref="Imsi"/> is 0 when absent.
/// Records of one IMEI are kept sorted by (Msisdn, Imsi) and are distinct.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BindingRecord(long Msisdn, long Imsi) : IComparable<BindingRecord>
{
    public int CompareTo(BindingRecord other)
    {
        var c = Msisdn.CompareTo(other.Msisdn);
        return c != 0 ? c : Imsi.CompareTo(other.Imsi);
    }
}

/// <summary>The binding records of one IMEI, with a sorted IMSI index when there are many of them.</summary>
public sealed class BindingList
{
    /// <summary>At or above this many records an IMEI gets a sorted IMSI index (clones, the null IMEI).</summary>
    public const int ImsiIndexThreshold = 16;

    public static BindingList None { get; } = new([]);

    public BindingRecord[] Records { get; }

    public long[]? SortedImsis { get; }

    /// <summary>Takes ownership of <paramref name="sortedDistinct"/> (sorted by (Msisdn, Imsi), distinct).</summary>
    public BindingList(BindingRecord[] sortedDistinct)
    {
        Records = sortedDistinct;
        SortedImsis = BuildImsiIndex(sortedDistinct);
    }

    internal static long[]? BuildImsiIndex(ReadOnlySpan<BindingRecord> records)
    {
        if (records.Length < ImsiIndexThreshold)
        {
            return null;
        }

        var imsis = new List<long>();
        foreach (var r in records)
        {
            if (r.Imsi != 0)
            {
                imsis.Add(r.Imsi);
            }
        }

        imsis.Sort();
        return [.. imsis.Distinct()];
    }

    /// <summary>A copy with <paramref name="record"/> added; this instance when it is already there.</summary>
    public BindingList With(BindingRecord record)
    {
        var i = Array.BinarySearch(Records, record);
        if (i >= 0)
        {
            return this;
        }

        i = ~i;
        var next = new BindingRecord[Records.Length + 1];
        Array.Copy(Records, next, i);
        next[i] = record;
        Array.Copy(Records, i, next, i + 1, Records.Length - i);
        return new BindingList(next);
    }

    /// <summary>A copy without <paramref name="record"/>; this instance when it is not there.</summary>
    public BindingList Without(BindingRecord record)
    {
        var i = Array.BinarySearch(Records, record);
        if (i < 0)
        {
            return this;
        }

        if (Records.Length == 1)
        {
            return None;
        }

        var next = new BindingRecord[Records.Length - 1];
        Array.Copy(Records, next, i);
        Array.Copy(Records, i + 1, next, i, Records.Length - i - 1);
        return new BindingList(next);
    }
}

/// <summary>A read-only look at the bindings of one IMEI, wherever they are stored.</summary>
public readonly ref struct BindingsView
{
    private readonly ReadOnlySpan<BindingRecord> _records;
    private readonly long[]? _sortedImsis;

    public BindingsView(ReadOnlySpan<BindingRecord> records, long[]? sortedImsis)
    {
        _records = records;
        _sortedImsis = sortedImsis;
    }

    public int Count => _records.Length;

    public bool IsEmpty => _records.IsEmpty;

    public ReadOnlySpan<BindingRecord> Records => _records;

    /// <summary>Whether a record carries this MSISDN (binary search: records are sorted by MSISDN first).</summary>
    public bool HasMsisdn(long msisdn)
    {
        if (msisdn == 0)
        {
            return false;
        }

        int lo = 0, hi = _records.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var v = _records[mid].Msisdn;
            if (v == msisdn)
            {
                return true;
            }

            if (v < msisdn)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return false;
    }

    /// <summary>Whether a record carries this IMSI key.</summary>
    public bool HasImsi(long imsiKey)
    {
        if (imsiKey == 0)
        {
            return false;
        }

        if (_sortedImsis is { } sorted)
        {
            return Array.BinarySearch(sorted, imsiKey) >= 0;
        }

        foreach (ref readonly var r in _records)
        {
            if (r.Imsi == imsiKey)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The immutable binding table of a snapshot: the set of bound IMEIs (a <see cref="CompactKeySet"/>, whose rank
/// indexes an offset array) over one contiguous array of records. About 16 bytes a record plus ~6 bytes a bound IMEI.
/// </summary>
public sealed class BindingTable
{
    private readonly CompactKeySet _imeis;
    private readonly int[] _offsets;
    private readonly BindingRecord[] _records;
    private readonly Dictionary<long, long[]> _imsiIndex;

    public static BindingTable Empty { get; } = new(CompactKeySet.Empty, [0], [], []);

    private BindingTable(CompactKeySet imeis, int[] offsets, BindingRecord[] records, Dictionary<long, long[]> imsiIndex)
    {
        _imeis = imeis;
        _offsets = offsets;
        _records = records;
        _imsiIndex = imsiIndex;
    }

    /// <summary>IMEIs with at least one record.</summary>
    public long ImeiCount => _imeis.Count;

    /// <summary>Binding records.</summary>
    public long RecordCount => _records.Length;

    public long MemoryBytes => _imeis.MemoryBytes + ((long)_offsets.Length * 4) + ((long)_records.Length * 16) +
        _imsiIndex.Sum(kv => 48 + (kv.Value.LongLength * 8));

    public BindingsView Get(long imei)
    {
        if (!_imeis.Rank(imei, out var rank))
        {
            return default;
        }

        var start = _offsets[rank];
        var end = _offsets[rank + 1];
        var records = _records.AsSpan(start, end - start);
        return new BindingsView(records, records.Length >= BindingList.ImsiIndexThreshold ? _imsiIndex.GetValueOrDefault(imei) : null);
    }

    /// <summary>Every IMEI with its records, ascending by IMEI.</summary>
    public IEnumerable<(long Imei, BindingRecord[] Records)> Entries()
    {
        var i = 0;
        foreach (var imei in _imeis.Keys())
        {
            yield return (imei, _records.AsSpan(_offsets[i], _offsets[i + 1] - _offsets[i]).ToArray());
            i++;
        }
    }

    /// <summary>
    /// This table with <paramref name="changes"/> applied (an IMEI's new records, empty to remove it), in one merge
    /// pass that copies unchanged records and IMSI indexes as they are (the compaction's path).
    /// </summary>
    internal BindingTable With(SortedChanges<BindingSlice> changes, BindingArena records)
    {
        var target = new Merging(this, changes.Values, records);
        Compactor.Merge(_imeis, changes.Keys, ref target);
        return new BindingTable(target.Imeis.Build(), [.. target.Offsets], [.. target.Records], target.ImsiIndex);
    }

    private readonly struct Merging(BindingTable old, BindingSlice[] changes, BindingArena arena) : Compactor.IMergeTarget
    {
        public CompactKeySet.Builder Imeis { get; } = new(old._imeis, changes.Length);

        public List<int> Offsets { get; } = new(old._offsets.Length + changes.Length) { 0 };

        public List<BindingRecord> Records { get; } = new(old._records.Length + changes.Length);

        public Dictionary<long, long[]> ImsiIndex { get; } = [];

        public void Keep(long imei, int rank)
        {
            var start = old._offsets[rank];
            Put(imei, old._records.AsSpan(start, old._offsets[rank + 1] - start), old._imsiIndex.GetValueOrDefault(imei));
        }

        public void Change(long imei, int index)
        {
            var slice = changes[index];
            if (slice.Count != 0)
            {
                Put(imei, arena.Records(slice), slice.SortedImsis);
            }
        }

        private void Put(long imei, ReadOnlySpan<BindingRecord> records, long[]? imsiIndex)
        {
            Imeis.Add(imei);
            Records.AddRange(records);
            Offsets.Add(Records.Count);
            if (imsiIndex is not null)
            {
                ImsiIndex[imei] = imsiIndex;
            }
        }
    }

    /// <summary>Builds from entries ascending by IMEI, each with sorted distinct non-empty records.</summary>
    public static BindingTable Build(IEnumerable<(long Imei, BindingRecord[] Records)> entries)
    {
        var keys = new CompactKeySet.Builder();
        var offsets = new List<int> { 0 };
        var records = new List<BindingRecord>();
        var imsiIndex = new Dictionary<long, long[]>();
        foreach (var (imei, list) in entries)
        {
            if (list.Length == 0)
            {
                continue;
            }

            keys.Add(imei);
            records.AddRange(list);
            offsets.Add(records.Count);
            if (BindingList.BuildImsiIndex(list) is { } index)
            {
                imsiIndex[imei] = index;
            }
        }

        return new BindingTable(keys.Build(), [.. offsets], [.. records], imsiIndex);
    }
}

/// <summary>The immutable IMSI → MSISDN map of a snapshot: a <see cref="CompactKeySet"/> of IMSI keys and the numbers by rank.</summary>
public sealed class SubscriberTable
{
    private readonly CompactKeySet _imsis;
    private readonly long[] _msisdns;

    public static SubscriberTable Empty { get; } = new(CompactKeySet.Empty, []);

    private SubscriberTable(CompactKeySet imsis, long[] msisdns)
    {
        _imsis = imsis;
        _msisdns = msisdns;
    }

    public long Count => _imsis.Count;

    public long MemoryBytes => _imsis.MemoryBytes + (_msisdns.LongLength * 8);

    public bool TryGet(long imsiKey, out long msisdn)
    {
        if (_imsis.Rank(imsiKey, out var rank))
        {
            msisdn = _msisdns[rank];
            return true;
        }

        msisdn = 0;
        return false;
    }

    public IEnumerable<(long Imsi, long Msisdn)> Entries()
    {
        var i = 0;
        foreach (var k in _imsis.Keys())
        {
            yield return (k, _msisdns[i++]);
        }
    }

    /// <summary>
    /// This table with <paramref name="changes"/> applied (IMSI key → MSISDN, 0 removes the IMSI), in one merge
    /// pass over the keys and the numbers by rank (the compaction's path).
    /// </summary>
    internal SubscriberTable With(SortedChanges<long> changes)
    {
        var target = new Merging(this, changes.Values);
        Compactor.Merge(_imsis, changes.Keys, ref target);
        var values = target.Msisdns;
        Array.Resize(ref values, target.Count);
        return new SubscriberTable(target.Imsis.Build(), values);
    }

    private struct Merging(SubscriberTable old, long[] changes) : Compactor.IMergeTarget
    {
        public readonly CompactKeySet.Builder Imsis { get; } = new(old._imsis, changes.Length);

        public readonly long[] Msisdns { get; } = new long[old._msisdns.Length + changes.Length];

        public int Count { get; private set; }

        public void Keep(long imsi, int rank) => Put(imsi, old._msisdns[rank]);

        public void Change(long imsi, int index) => Put(imsi, changes[index]);

        private void Put(long imsi, long msisdn)
        {
            if (msisdn != 0)
            {
                Imsis.Add(imsi);
                Msisdns[Count++] = msisdn;
            }
        }
    }

    /// <summary>Builds from entries ascending by IMSI key.</summary>
    public static SubscriberTable Build(IEnumerable<(long Imsi, long Msisdn)> entries)
    {
        var keys = new CompactKeySet.Builder();
        var values = new List<long>();
        foreach (var (imsi, msisdn) in entries)
        {
            keys.Add(imsi);
            values.Add(msisdn);
        }

        return new SubscriberTable(keys.Build(), [.. values]);
    }
}
