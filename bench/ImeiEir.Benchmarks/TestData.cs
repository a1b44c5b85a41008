using ImeiEir.Core.Index;
using ImeiEir.DataGen;

namespace ImeiEir.Benchmarks;

/// <summary>
/// Data shared by the benchmarks of one process: the registered keys of each size (generated once, ~8 bytes a key)
/// and the probe arrays. Everything is deterministic (fixed seeds), so every run measures the same keys.
/// </summary>
public static class TestData
{
    /// <summary>Probes per invocation of a lookup benchmark: enough to leave the caches cold for the large sets.</summary>
    public const int ProbeCount = 1 << 20;

    private static readonly Dictionary<int, long[]> KeysBySize = [];
    private static readonly Dictionary<int, NationalDataSet> DataSets = [];

    public static NationalDataSet DataSet(int registeredImeis)
    {
        lock (DataSets)
        {
            if (!DataSets.TryGetValue(registeredImeis, out var d))
            {
                d = new NationalDataSet(DataSetOptions.ForRegisteredImeis(registeredImeis));
                DataSets[registeredImeis] = d;
            }

            return d;
        }
    }

    /// <summary>The sorted registered keys of the data set with about <paramref name="registeredImeis"/> IMEIs.</summary>
    public static long[] Keys(int registeredImeis)
    {
        lock (KeysBySize)
        {
            if (!KeysBySize.TryGetValue(registeredImeis, out var keys))
            {
                keys = DataSet(registeredImeis).RegisteredKeysSorted();
                KeysBySize[registeredImeis] = keys;
            }

            return keys;
        }
    }

    /// <summary>Drops cached keys of other sizes (so the 100 M run has the memory to itself).</summary>
    public static void KeepOnly(int registeredImeis)
    {
        lock (KeysBySize)
        {
            foreach (var k in KeysBySize.Keys.Where(k => k != registeredImeis).ToArray())
            {
                KeysBySize.Remove(k);
            }
        }
    }

    /// <summary>
    /// Lookup probes, hits and misses 50/50 in random order. Misses are realistic: 80 % are an SNR near a registered
    /// one (same lot, not sold here), 20 % a random SNR of a TAC in use; none is in the set.
    /// </summary>
    public static long[] Probes(NationalDataSet data, long[] keys, int count, ulong seed = 42)
    {
        var rng = Rng.ForStream(seed, (ulong)keys.Length);
        var probes = new long[count];
        var tacs = data.Tacs;
        for (var i = 0; i < count; i++)
        {
            if ((i & 1) == 0)
            {
                probes[i] = keys[rng.NextLong(keys.Length)];
                continue;
            }

            long candidate;
            do
            {
                candidate = rng.Chance(0.8)
                    ? keys[rng.NextLong(keys.Length)] + rng.NextLong(-64, 65)
                    : (tacs[(int)rng.NextLong(tacs.Length)] * 1_000_000) + rng.NextLong(1_000_000);
            }
            while (candidate < 0 || Array.BinarySearch(keys, candidate) >= 0);

            probes[i] = candidate;
        }

        // Fisher-Yates: hits and misses interleave unpredictably for the branch predictor.
        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)rng.NextLong(i + 1);
            (probes[i], probes[j]) = (probes[j], probes[i]);
        }

        return probes;
    }

    /// <summary>
    /// The full snapshot of a data set: registered, stolen, bindings (amnesty and clone clusters) and the
    /// IMSI→MSISDN map, built with arrays and Array.Sort (the 100 M set has ~87 M subscribers).
    /// </summary>
    public static EirSnapshot Snapshot(NationalDataSet data, long[] registeredKeys)
    {
        var registered = CompactKeySet.FromSorted(registeredKeys);

        var stolenList = new List<long>();
        foreach (var s in data.Stolen())
        {
            stolenList.Add(s.Imei);
        }

        var stolenKeys = stolenList.ToArray();
        Array.Sort(stolenKeys);
        var stolen = CompactKeySet.FromSorted(stolenKeys.AsSpan());

        var bindings = data.Bindings().Select(b => (b.Imei, new BindingRecord(b.Msisdn, b.ImsiKey))).ToArray();
        Array.Sort(bindings, static (x, y) => x.Imei != y.Imei ? x.Imei.CompareTo(y.Imei) : x.Item2.CompareTo(y.Item2));
        var bindingTable = BindingTable.Build(GroupBindings(bindings));

        var count = data.Subscribers.Count;
        var imsis = new long[count];
        var msisdns = new long[count];
        for (long i = 0; i < count; i++)
        {
            imsis[i] = data.Subscribers.ImsiKey(i);
            msisdns[i] = data.Subscribers.Msisdn(i);
        }

        Array.Sort(imsis, msisdns);
        var subscribers = SubscriberTable.Build(Pairs(imsis, msisdns));
        return new EirSnapshot(registered, stolen, bindingTable, subscribers);
    }

    private static IEnumerable<(long, long)> Pairs(long[] a, long[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            yield return (a[i], b[i]);
        }
    }

    private static IEnumerable<(long, BindingRecord[])> GroupBindings((long Imei, BindingRecord Record)[] sorted)
    {
        var i = 0;
        var list = new List<BindingRecord>();
        while (i < sorted.Length)
        {
            var imei = sorted[i].Imei;
            list.Clear();
            for (; i < sorted.Length && sorted[i].Imei == imei; i++)
            {
                if (list.Count == 0 || list[^1] != sorted[i].Record)
                {
                    list.Add(sorted[i].Record);
                }
            }

            yield return (imei, [.. list]);
        }
    }
}
