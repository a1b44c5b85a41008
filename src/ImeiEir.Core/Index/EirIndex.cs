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

    public EirIndex(IndexOptions? options = null)
    {
        _options = options ?? new IndexOptions();
        _current = new EirView(EirSnapshot.Empty, Overlay.Empty, Overlay.Empty, 0, null, default);
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
            var counts = new EirCounts(snapshot.Registered.Count, snapshot.Bindings.RecordCount, snapshot.Stolen.Count, snapshot.Subscribers.Count);
            Volatile.Write(ref _current, new EirView(snapshot, Overlay.Empty, Overlay.Empty, sequence, lastAppliedAt, counts));
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
    /// <exception cref="InvalidOperationException">The sequence does not follow the current one.</exception>
    public EirView Apply(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        lock (_writeLock)
        {
            var view = _current;
            if (sequence != view.Sequence + 1)
            {
                throw new InvalidOperationException($"Batch sequence {sequence} does not follow the index sequence {view.Sequence}.");
            }

            var recent = view.Recent.Clone();
            var counts = view.Counts;
            var editing = new Dictionary<long, SortedSet<BindingRecord>>();
            foreach (ref readonly var m in mutations)
            {
                counts = ApplyOne(view, recent, editing, in m, counts);
            }

            // Bindings were edited in sorted sets (a batch adding thousands of records to one clone IMEI stays
            // O(n log n)); they become immutable lists once, here.
            foreach (var (imei, set) in editing)
            {
                recent.Bindings[imei] = set.Count == 0 ? BindingList.None : new BindingList([.. set]);
            }

            var snapshot = view.Snapshot;
            var older = view.Older;
            if (recent.Count > _options.RecentOverlayLimit)
            {
                older = older.MergedWith(recent);
                recent = new Overlay();
                var largeLimit = Math.Max(_options.OlderOverlayMinimum, view.Counts.RegisteredImeis / _options.OlderOverlayFractionOfSnapshot);
                if (older.Count > largeLimit)
                {
                    snapshot = Compactor.Compact(snapshot, older);
                    older = Overlay.Empty;
                    Compactions++;
                }
            }

            var next = new EirView(snapshot, older, recent, sequence, appliedAt, counts);
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    /// <summary>Folds every overlay into a new snapshot now (for an idle moment, or before saving a checkpoint).</summary>
    public EirView Compact()
    {
        lock (_writeLock)
        {
            var view = _current;
            if (view.OverlayEntries == 0)
            {
                return view;
            }

            var snapshot = Compactor.Compact(view.Snapshot, view.Older.MergedWith(view.Recent));
            Compactions++;
            var next = new EirView(snapshot, Overlay.Empty, Overlay.Empty, view.Sequence, view.LastAppliedAt, view.Counts);
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    // Reads go through 'view' (the published version) and 'recent' (this batch's own changes so far), so a
    // batch that touches the same key twice sees its own first change.
    private static EirCounts ApplyOne(EirView view, Overlay recent, Dictionary<long, SortedSet<BindingRecord>> editing, in Mutation m, EirCounts c)
    {
        switch (m.Kind)
        {
            case MutationKind.AddRegistered:
            case MutationKind.RemoveRegistered:
            {
                var want = m.Kind == MutationKind.AddRegistered;
                var had = recent.Registered.TryGetValue(m.Imei, out var r) ? r : view.IsRegistered(m.Imei);
                recent.Registered[m.Imei] = want;
                return had == want ? c : c with { RegisteredImeis = c.RegisteredImeis + (want ? 1 : -1) };
            }

            case MutationKind.AddStolen:
            case MutationKind.RemoveStolen:
            {
                var want = m.Kind == MutationKind.AddStolen;
                var had = recent.Stolen.TryGetValue(m.Imei, out var r) ? r : view.IsStolen(m.Imei);
                recent.Stolen[m.Imei] = want;
                return had == want ? c : c with { StolenImeis = c.StolenImeis + (want ? 1 : -1) };
            }

            case MutationKind.AddBinding:
            case MutationKind.RemoveBinding:
            {
                if (!editing.TryGetValue(m.Imei, out var set))
                {
                    set = new SortedSet<BindingRecord>(recent.Bindings.TryGetValue(m.Imei, out var l) ? l.Records : view.GetBindingList(m.Imei).Records);
                    editing[m.Imei] = set;
                }

                var record = new BindingRecord(m.Msisdn, m.Imsi);
                var changed = m.Kind == MutationKind.AddBinding ? set.Add(record) : set.Remove(record);
                return changed ? c with { Bindings = c.Bindings + (m.Kind == MutationKind.AddBinding ? 1 : -1) } : c;
            }

            case MutationKind.SetSubscriber:
            case MutationKind.RemoveSubscriber:
            {
                var had = recent.Subscribers.TryGetValue(m.Imsi, out var v) ? v != 0 : view.TryGetMsisdn(m.Imsi, out _);
                var value = m.Kind == MutationKind.SetSubscriber ? m.Msisdn : 0;
                recent.Subscribers[m.Imsi] = value;
                var has = value != 0;
                return had == has ? c : c with { Subscribers = c.Subscribers + (has ? 1 : -1) };
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(m), m.Kind, "Unknown mutation kind.");
        }
    }
}

/// <summary>Thresholds of the overlays (configuration section <c>Index</c>).</summary>
public sealed class IndexOptions
{
    /// <summary>Entries in the recent overlay before it folds into the older one. Default 16 384: a batch clones at most this much.</summary>
    public int RecentOverlayLimit { get; set; } = 16_384;

    /// <summary>Entries in the older overlay before a new snapshot is compacted, at least. Default 262 144.</summary>
    public long OlderOverlayMinimum { get; set; } = 262_144;

    /// <summary>...or this fraction (1/N) of the registered IMEIs, whichever is larger. Default 16.</summary>
    public long OlderOverlayFractionOfSnapshot { get; set; } = 16;
}
