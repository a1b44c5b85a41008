namespace ImeiEir.Core.Index;

/// <summary>
/// The verdict index of one node. Readers call <see cref="Current"/> and use that view for the whole request;
/// writers (one at a time) apply batches of resolved mutations, producing the next view off the read path and
/// publishing it with one reference write. See README.md next to this file for the invariants.
/// </summary>
public sealed class EirIndex
{
    private readonly object _writeLock = new();
    private readonly IndexOptions _options;
    private EirView _current;
    private volatile bool _loaded;

    // Views built ahead of publication (Stage), oldest first, each with the overlay it appended to and that
    // overlay's counts before, so they can be taken back newest first.
    private readonly List<(EirView View, Overlay AppendedTo, (int, int, int, int) Mark)> _staged = [];

    public EirIndex(IndexOptions? options = null)
    {
        _options = options ?? new IndexOptions();
        _current = new EirView(EirSnapshot.Empty, Overlay.Create(), 0, null, default);
    }

    /// <summary>The current version. Take it once per request.</summary>
    public EirView Current => Volatile.Read(ref _current);

    /// <summary>
    /// False until <see cref="Load"/> (or <see cref="MarkLoaded"/>) ran: a node that has not loaded its data must
    /// not answer checks (it would deny everything).
    /// </summary>
    public bool IsLoaded => _loaded;

    /// <summary>Snapshots compacted so far (diagnostics).</summary>
    public int Compactions { get; private set; }

    /// <summary>Replaces everything with <paramref name="snapshot"/> at <paramref name="sequence"/> and marks the index loaded.</summary>
    public void Load(EirSnapshot snapshot, long sequence, DateTimeOffset? lastAppliedAt = null) => Replace(snapshot, sequence, lastAppliedAt, markLoaded: true);

    /// <summary>
    /// Replaces everything with <paramref name="snapshot"/> at <paramref name="sequence"/> (hydration before the log is
    /// replayed, or a reload after falling behind a trimmed log); marks the index loaded only when asked.
    /// </summary>
    public void Replace(EirSnapshot snapshot, long sequence, DateTimeOffset? lastAppliedAt, bool markLoaded)
    {
        lock (_writeLock)
        {
            DiscardStagedLocked();
            var counts = new EirCounts(snapshot.Registered.Count, snapshot.Bindings.RecordCount, snapshot.Stolen.Count, snapshot.Subscribers.Count);
            Volatile.Write(ref _current, new EirView(snapshot, Overlay.Create(), sequence, lastAppliedAt, counts));
            if (markLoaded)
            {
                _loaded = true;
            }
        }
    }

    /// <summary>Marks an index that started empty (a brand-new cluster) as loaded.</summary>
    public void MarkLoaded() => _loaded = true;

    /// <summary>
    /// Applies one batch as version <paramref name="sequence"/>, all at once: readers see either none or all of it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sequence does not follow the current one, or views are staged.</exception>
    public EirView Apply(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        lock (_writeLock)
        {
            if (_staged.Count != 0)
            {
                throw new InvalidOperationException("Views are staged: publish or discard them first.");
            }

            var next = StageLocked(sequence, mutations, appliedAt);
            _staged.Clear();
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    /// <summary>The newest view: the last one staged, or the current one when none is.</summary>
    public EirView Head
    {
        get
        {
            lock (_writeLock)
            {
                return _staged.Count == 0 ? _current : _staged[^1].View;
            }
        }
    }

    /// <summary>
    /// Builds the view of <paramref name="sequence"/> (which must follow <see cref="Head"/>) without publishing it:
    /// a writer plans its next batch on it while the batch before is still being made durable. Readers keep the
    /// current view (the overlay entries it adds are invisible at the current sequence) until
    /// <see cref="Publish"/>; <see cref="DiscardStaged"/> takes every staged view back.
    /// </summary>
    public EirView Stage(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        lock (_writeLock)
        {
            return StageLocked(sequence, mutations, appliedAt);
        }
    }

    /// <summary>Publishes the oldest staged view (it must be <paramref name="staged"/>).</summary>
    public void Publish(EirView staged)
    {
        lock (_writeLock)
        {
            if (_staged.Count == 0 || !ReferenceEquals(_staged[0].View, staged))
            {
                throw new InvalidOperationException($"View {staged.Sequence} is not the oldest staged view.");
            }

            _staged.RemoveAt(0);
            Volatile.Write(ref _current, staged);
        }
    }

    /// <summary>Takes back every staged view: the overlay is as the current view left it.</summary>
    public void DiscardStaged()
    {
        lock (_writeLock)
        {
            DiscardStagedLocked();
        }
    }

    private void DiscardStagedLocked()
    {
        for (var i = _staged.Count - 1; i >= 0; i--)
        {
            _staged[i].AppendedTo.TruncateTo(_staged[i].Mark);
        }

        _staged.Clear();
    }

    private EirView StageLocked(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        var view = _staged.Count == 0 ? _current : _staged[^1].View;
        if (sequence != view.Sequence + 1)
        {
            throw new InvalidOperationException($"Batch sequence {sequence} does not follow the index sequence {view.Sequence}.");
        }

        // The batch's entries go into the shared overlay with this sequence: invisible to the published view (its
        // readers look up at its sequence) until the view of this sequence replaces it.
        var changes = view.Changes.WithRoomFor(mutations.Length);
        var counts = view.Counts;
        var mark = changes.Mark();
        try
        {
            var editing = new Dictionary<long, SortedSet<BindingRecord>>();
            foreach (ref readonly var m in mutations)
            {
                counts = ApplyOne(view.Snapshot, changes, sequence, editing, in m, counts);
            }

            // Bindings were edited in sorted sets (a batch adding thousands of records to one clone IMEI stays
            // O(n log n)); they become immutable lists once, here.
            foreach (var (imei, set) in editing)
            {
                changes.Bindings.Add(imei, sequence, set.Count == 0 ? BindingList.None : new BindingList([.. set]));
            }
        }
        catch
        {
            // Nothing of a batch that cannot be applied whole may stay behind for the next one to see.
            changes.TruncateTo(mark);
            throw;
        }

        var snapshot = view.Snapshot;
        var next = changes;
        var compactAt = Math.Max(_options.CompactionMinimumChanges, view.Counts.RegisteredImeis / _options.CompactionFractionOfSnapshot);
        if (changes.Count > compactAt)
        {
            snapshot = Compactor.Compact(snapshot, changes.Latest(sequence));
            next = Overlay.CreateLike(changes);
            Compactions++;
        }

        var staged = new EirView(snapshot, next, sequence, appliedAt, counts);
        _staged.Add((staged, changes, mark));
        return staged;
    }

    /// <summary>Folds every overlay into a new snapshot now (for an idle moment, or before saving a checkpoint).</summary>
    public EirView Compact()
    {
        lock (_writeLock)
        {
            if (_staged.Count != 0)
            {
                throw new InvalidOperationException("Views are staged: publish or discard them first.");
            }

            var view = _current;
            if (view.OverlayEntries == 0)
            {
                return view;
            }

            var snapshot = Compactor.Compact(view.Snapshot, view.Changes.Latest(view.Sequence));
            Compactions++;
            var next = new EirView(snapshot, Overlay.Create(), view.Sequence, view.LastAppliedAt, view.Counts);
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    // Reads see the overlay's newest entries (this batch's own earlier changes included), then the snapshot.
    private static EirCounts ApplyOne(EirSnapshot snapshot, Overlay changes, long sequence, Dictionary<long, SortedSet<BindingRecord>> editing, in Mutation m, EirCounts c)
    {
        switch (m.Kind)
        {
            case MutationKind.AddRegistered:
            case MutationKind.RemoveRegistered:
            {
                var want = m.Kind == MutationKind.AddRegistered;
                var had = changes.Registered.TryGet(m.Imei, long.MaxValue, out var r) ? r : snapshot.Registered.Contains(m.Imei);
                if (had == want)
                {
                    return c;
                }

                changes.Registered.Add(m.Imei, sequence, want);
                return c with { RegisteredImeis = c.RegisteredImeis + (want ? 1 : -1) };
            }

            case MutationKind.AddStolen:
            case MutationKind.RemoveStolen:
            {
                var want = m.Kind == MutationKind.AddStolen;
                var had = changes.Stolen.TryGet(m.Imei, long.MaxValue, out var r) ? r : snapshot.Stolen.Contains(m.Imei);
                if (had == want)
                {
                    return c;
                }

                changes.Stolen.Add(m.Imei, sequence, want);
                return c with { StolenImeis = c.StolenImeis + (want ? 1 : -1) };
            }

            case MutationKind.AddBinding:
            case MutationKind.RemoveBinding:
            {
                if (!editing.TryGetValue(m.Imei, out var set))
                {
                    var current = changes.Bindings.TryGet(m.Imei, long.MaxValue, out var l) ? l.Records : snapshot.Bindings.Get(m.Imei).Records.ToArray();
                    set = new SortedSet<BindingRecord>(current);
                    editing[m.Imei] = set;
                }

                var record = new BindingRecord(m.Msisdn, m.Imsi);
                var changed = m.Kind == MutationKind.AddBinding ? set.Add(record) : set.Remove(record);
                return changed ? c with { Bindings = c.Bindings + (m.Kind == MutationKind.AddBinding ? 1 : -1) } : c;
            }

            case MutationKind.SetSubscriber:
            case MutationKind.RemoveSubscriber:
            {
                var had = changes.Subscribers.TryGet(m.Imsi, long.MaxValue, out var v) ? v : (snapshot.Subscribers.TryGet(m.Imsi, out var s) ? s : 0);
                var value = m.Kind == MutationKind.SetSubscriber ? m.Msisdn : 0;
                if (had == value)
                {
                    return c;
                }

                changes.Subscribers.Add(m.Imsi, sequence, value);
                var (hadAny, has) = (had != 0, value != 0);
                return hadAny == has ? c : c with { Subscribers = c.Subscribers + (has ? 1 : -1) };
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(m), m.Kind, "Unknown mutation kind.");
        }
    }
}
