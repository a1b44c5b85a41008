using System.Runtime.CompilerServices;

namespace ImeiEir.Core.Index;

/// <summary>Counters of one version of the data.</summary>
public readonly record struct EirCounts(long RegisteredImeis, long Bindings, long StolenImeis, long Subscribers);

/// <summary>
/// One consistent version of the index: a compact snapshot under the changes made since it, read at this view's
/// sequence (the overlay is shared with later views, which see later entries; this one never does). A reader
/// takes the current view once per request and asks it everything, so it never sees half of a batch. Lookups do
/// not lock and do not allocate.
/// </summary>
public sealed class EirView
{
    internal EirView(EirSnapshot snapshot, Overlay changes, long sequence, DateTimeOffset? lastAppliedAt, EirCounts counts)
    {
        Snapshot = snapshot;
        Changes = changes;
        Sequence = sequence;
        LastAppliedAt = lastAppliedAt;
        Counts = counts;
    }

    /// <summary>The compact base. Complete only when <see cref="OverlayEntries"/> is 0 (after <see cref="EirIndex.Compact"/>).</summary>
    public EirSnapshot Snapshot { get; }

    internal Overlay Changes { get; }

    /// <summary>The data version: the sequence of the last batch applied.</summary>
    public long Sequence { get; }

    public DateTimeOffset? LastAppliedAt { get; }

    public EirCounts Counts { get; }

    /// <summary>Changes not yet compacted into the snapshot (entries of the overlay, newer views' included).</summary>
    public int OverlayEntries => Changes.Count;

    /// <summary>Bytes held by the compact snapshot (overlays not counted).</summary>
    public long SnapshotBytes => Snapshot.MemoryBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsRegistered(long imei)
    {
        var changes = Changes.Registered;
        if (changes.Count != 0 && changes.TryGet(imei, Sequence, out var r))
        {
            return r;
        }

        return Snapshot.Registered.Contains(imei);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsStolen(long imei)
    {
        var changes = Changes.Stolen;
        if (changes.Count != 0 && changes.TryGet(imei, Sequence, out var r))
        {
            return r;
        }

        return Snapshot.Stolen.Contains(imei);
    }

    public BindingsView GetBindings(long imei)
    {
        var changes = Changes.Bindings;
        if (changes.Count != 0 && changes.TryGet(imei, Sequence, out var slice))
        {
            return new BindingsView(Changes.BindingRecords.Records(slice), slice.SortedImsis);
        }

        return Snapshot.Bindings.Get(imei);
    }

    /// <summary>The MSISDN an IMSI belongs to, from the operators' subscriber map.</summary>
    public bool TryGetMsisdn(long imsiKey, out long msisdn)
    {
        var changes = Changes.Subscribers;
        if (changes.Count != 0 && changes.TryGet(imsiKey, Sequence, out msisdn))
        {
            return msisdn != 0;
        }

        return Snapshot.Subscribers.TryGet(imsiKey, out msisdn);
    }

    /// <summary>The records of one IMEI as a new array (writers; allocates).</summary>
    internal BindingRecord[] GetBindingRecords(long imei) => GetBindings(imei).Records.ToArray();
}
