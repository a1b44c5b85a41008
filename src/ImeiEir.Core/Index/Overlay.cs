namespace ImeiEir.Core.Index;

/// <summary>
/// Every change on top of a snapshot, one <see cref="VersionedMap{T}"/> per kind of key. Shared by the views of
/// successive sequences: a view reads it at its own sequence, and the one writer appends the next batch's changes
/// before publishing the next view (see <see cref="VersionedMap{T}"/> for why readers need no lock).
/// </summary>
internal sealed class Overlay
{
    private Overlay(VersionedMap<bool> registered, VersionedMap<bool> stolen, VersionedMap<BindingSlice> bindings, BindingArena bindingRecords, VersionedMap<long> subscribers)
    {
        Registered = registered;
        Stolen = stolen;
        Bindings = bindings;
        BindingRecords = bindingRecords;
        Subscribers = subscribers;
    }

    /// <summary>A new, empty overlay (each index owns its own: the writer appends to it).</summary>
    public static Overlay Create() => new(new(), new(), new(), new(), new());

    /// <summary>
    /// A new, empty overlay with room for as many entries of each kind as <paramref name="previous"/> holds: after a
    /// compaction under a steady sync the next overlay fills up alike, and would otherwise grow (and copy) its way there
    /// from empty. Three times the entries, rounded up to a power of two: the load factor (1/2) with room to spare.
    /// </summary>
    public static Overlay CreateLike(Overlay previous) => new(
        new(3 * previous.Registered.Count),
        new(3 * previous.Stolen.Count),
        new(3 * previous.Bindings.Count),
        new((int)Math.Min(previous.BindingRecords.Count, BindingArena.MaxChunkRecords)),
        new(3 * previous.Subscribers.Count));

    public VersionedMap<bool> Registered { get; }

    public VersionedMap<bool> Stolen { get; }

    /// <summary>Bound IMEI → where its records are in <see cref="BindingRecords"/> (<see cref="BindingSlice.Empty"/>: none left).</summary>
    public VersionedMap<BindingSlice> Bindings { get; }

    /// <summary>The records the <see cref="Bindings"/> entries address (shared by an overlay and the larger ones it grows into).</summary>
    public BindingArena BindingRecords { get; }

    /// <summary>IMSI key → MSISDN; 0 means removed.</summary>
    public VersionedMap<long> Subscribers { get; }

    /// <summary>Entries appended since the snapshot (every version of every key).</summary>
    public int Count => Registered.Count + Stolen.Count + Bindings.Count + Subscribers.Count;

    /// <summary>
    /// This overlay, or (when a map is near its load factor) one whose full maps are replaced by larger ones
    /// holding their newest entries, so that <paramref name="more"/> entries of any kind fit (writer only).
    /// </summary>
    public Overlay WithRoomFor(int more)
    {
        if (Registered.HasRoomFor(more) && Stolen.HasRoomFor(more) && Bindings.HasRoomFor(more) && Subscribers.HasRoomFor(more))
        {
            return this;
        }

        return new Overlay(
            Registered.HasRoomFor(more) ? Registered : Registered.Grown(more),
            Stolen.HasRoomFor(more) ? Stolen : Stolen.Grown(more),
            Bindings.HasRoomFor(more) ? Bindings : Bindings.Grown(more),
            BindingRecords,
            Subscribers.HasRoomFor(more) ? Subscribers : Subscribers.Grown(more));
    }

    /// <summary>The entry counts of the four maps and the arena's end, to take a failed batch back with <see cref="TruncateTo"/>.</summary>
    public OverlayMark Mark() => new(Registered.Count, Stolen.Count, Bindings.Count, BindingRecords.Mark(), Subscribers.Count);

    /// <summary>Removes every entry (and binding record) appended since <paramref name="mark"/> (writer only).</summary>
    public void TruncateTo(OverlayMark mark)
    {
        Registered.TruncateTo(mark.Registered);
        Stolen.TruncateTo(mark.Stolen);
        Bindings.TruncateTo(mark.Bindings);
        BindingRecords.TruncateTo(mark.BindingRecords);
        Subscribers.TruncateTo(mark.Subscribers);
    }

    /// <summary>The state at <paramref name="sequence"/> of every key changed by then, for compaction (writer only).</summary>
    public ChangeSet Latest(long sequence) => new(
        Registered.Latest(sequence),
        Stolen.Latest(sequence),
        Bindings.Latest(sequence),
        BindingRecords,
        Subscribers.Latest(sequence));
}

/// <summary>Where an overlay ended before a batch: what <see cref="Overlay.TruncateTo"/> takes it back to.</summary>
internal readonly record struct OverlayMark(int Registered, int Stolen, int Bindings, (int Chunks, int Used, long Count) BindingRecords, int Subscribers);

/// <summary>The newest state of every key an overlay changed, keys ascending: what compaction folds into a new snapshot.</summary>
internal sealed record ChangeSet(
    SortedChanges<bool> Registered,
    SortedChanges<bool> Stolen,
    SortedChanges<BindingSlice> Bindings,
    BindingArena BindingRecords,
    SortedChanges<long> Subscribers)
{
    public bool IsEmpty => Registered.Count + Stolen.Count + Bindings.Count + Subscribers.Count == 0;
}
