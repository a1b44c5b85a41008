using System.Runtime.CompilerServices;

namespace ImeiEir.Core.Index;

/// <summary>Counters of one version of the data.</summary>
public readonly record struct EirCounts(long RegisteredImeis, long Bindings, long StolenImeis, long Subscribers);

/// <summary>
/// One consistent version of the index: a compact snapshot under two small overlays (recent, then older
/// changes), all immutable. A reader takes the current view once per request and asks it everything, so it
/// never sees half of a batch. Lookups do not lock and do not allocate.
/// </summary>
public sealed class EirView
{
    internal EirView(EirSnapshot snapshot, Overlay older, Overlay recent, long sequence, DateTimeOffset? lastAppliedAt, EirCounts counts)
    {
        Snapshot = snapshot;
        Older = older;
        Recent = recent;
        Sequence = sequence;
        LastAppliedAt = lastAppliedAt;
        Counts = counts;
    }

    /// <summary>The compact base. Complete only when <see cref="OverlayEntries"/> is 0 (after <see cref="EirIndex.Compact"/>).</summary>
    public EirSnapshot Snapshot { get; }

    internal Overlay Older { get; }

    internal Overlay Recent { get; }

    /// <summary>The data version: the sequence of the last batch applied.</summary>
    public long Sequence { get; }

    public DateTimeOffset? LastAppliedAt { get; }

    public EirCounts Counts { get; }

    /// <summary>Entries in the overlays (not yet compacted into the snapshot).</summary>
    public int OverlayEntries => Older.Count + Recent.Count;

    /// <summary>Bytes held by the compact snapshot (overlays not counted).</summary>
    public long SnapshotBytes => Snapshot.MemoryBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsRegistered(long imei)
    {
        if (Recent.Registered.Count != 0 && Recent.Registered.TryGetValue(imei, out var r))
        {
            return r;
        }

        if (Older.Registered.Count != 0 && Older.Registered.TryGetValue(imei, out r))
        {
            return r;
        }

        return Snapshot.Registered.Contains(imei);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsStolen(long imei)
    {
        if (Recent.Stolen.Count != 0 && Recent.Stolen.TryGetValue(imei, out var r))
        {
            return r;
        }

        if (Older.Stolen.Count != 0 && Older.Stolen.TryGetValue(imei, out r))
        {
            return r;
        }

        return Snapshot.Stolen.Contains(imei);
    }

    public BindingsView GetBindings(long imei)
    {
        if (Recent.Bindings.Count != 0 && Recent.Bindings.TryGetValue(imei, out var list))
        {
            return new BindingsView(list.Records, list.SortedImsis);
        }

        if (Older.Bindings.Count != 0 && Older.Bindings.TryGetValue(imei, out list))
        {
            return new BindingsView(list.Records, list.SortedImsis);
        }

        return Snapshot.Bindings.Get(imei);
    }

    /// <summary>The MSISDN an IMSI belongs to, from the operators' subscriber map.</summary>
    public bool TryGetMsisdn(long imsiKey, out long msisdn)
    {
        if (Recent.Subscribers.Count != 0 && Recent.Subscribers.TryGetValue(imsiKey, out msisdn))
        {
            return msisdn != 0;
        }

        if (Older.Subscribers.Count != 0 && Older.Subscribers.TryGetValue(imsiKey, out msisdn))
        {
            return msisdn != 0;
        }

        return Snapshot.Subscribers.TryGet(imsiKey, out msisdn);
    }

    /// <summary>The records of one IMEI as a new list (writers, self-service; allocates).</summary>
    internal BindingList GetBindingList(long imei)
    {
        if (Recent.Bindings.TryGetValue(imei, out var list) || Older.Bindings.TryGetValue(imei, out list))
        {
            return list;
        }

        var v = Snapshot.Bindings.Get(imei);
        return v.IsEmpty ? BindingList.None : new BindingList(v.Records.ToArray());
    }
}
