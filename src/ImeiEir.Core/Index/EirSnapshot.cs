namespace ImeiEir.Core.Index;

/// <summary>The compact, immutable base of the index: what a node loads and what compaction produces.</summary>
public sealed class EirSnapshot
{
    public static EirSnapshot Empty { get; } = new(CompactKeySet.Empty, CompactKeySet.Empty, BindingTable.Empty, SubscriberTable.Empty);

    public EirSnapshot(CompactKeySet registered, CompactKeySet stolen, BindingTable bindings, SubscriberTable subscribers)
    {
        Registered = registered;
        Stolen = stolen;
        Bindings = bindings;
        Subscribers = subscribers;
    }

    public CompactKeySet Registered { get; }

    public CompactKeySet Stolen { get; }

    public BindingTable Bindings { get; }

    public SubscriberTable Subscribers { get; }

    public long MemoryBytes => Registered.MemoryBytes + Stolen.MemoryBytes + Bindings.MemoryBytes + Subscribers.MemoryBytes;

    /// <summary>Builds a snapshot from records in any order (hydration, tests, benchmarks).</summary>
    public static EirSnapshot Build(
        IEnumerable<long> registered,
        IEnumerable<long> stolen,
        IEnumerable<(long Imei, BindingRecord Record)> bindings,
        IEnumerable<(long Imsi, long Msisdn)> subscribers)
    {
        var b = bindings.ToArray();
        Array.Sort(b, static (x, y) => x.Imei != y.Imei ? x.Imei.CompareTo(y.Imei) : x.Record.CompareTo(y.Record));
        // A stable sort: DistinctByImsi keeps the last entry of an IMSI, which must be the last one given
        // (Array.Sort is unstable and would pick an arbitrary one).
        var s = subscribers.OrderBy(static x => x.Imsi).ToArray();
        return new EirSnapshot(
            CompactKeySet.FromUnsorted(registered),
            CompactKeySet.FromUnsorted(stolen),
            BindingTable.Build(GroupBindings(b)),
            SubscriberTable.Build(DistinctByImsi(s)));
    }

    private static IEnumerable<(long, BindingRecord[])> GroupBindings((long Imei, BindingRecord Record)[] sorted)
    {
        var i = 0;
        while (i < sorted.Length)
        {
            var imei = sorted[i].Imei;
            var list = new List<BindingRecord>();
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

    private static IEnumerable<(long, long)> DistinctByImsi((long Imsi, long Msisdn)[] sorted)
    {
        for (var i = 0; i < sorted.Length; i++)
        {
            // Last write wins for a repeated IMSI.
            if (i + 1 < sorted.Length && sorted[i + 1].Imsi == sorted[i].Imsi)
            {
                continue;
            }

            yield return sorted[i];
        }
    }
}
