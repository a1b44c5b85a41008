namespace ImeiEir.Core.Index;

/// <summary>
/// The verdict index of one node. Readers call <see cref="Current"/> and use that view for the whole request;
/// writers (one at a time) stage each batch's <see cref="IndexEffect"/> (built on the head by
/// <see cref="IndexEffectBuilder"/>, from a plan or from the log's mutations), producing the next view off the read
/// path and publishing it with one reference write. See README.md next to this file for the invariants.
/// </summary>
public sealed class EirIndex
{
    private readonly object _writeLock = new();
    private readonly IndexOptions _options;
    private EirView _current;
    private volatile bool _loaded;

    // Views built ahead of publication (Stage), oldest first, each with the overlay it appended to and that
    // overlay's counts before, so they can be taken back newest first.
    private readonly List<(EirView View, Overlay AppendedTo, OverlayMark Mark)> _staged = [];

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
    /// Its effect is built on the current view (<see cref="IndexEffectBuilder.Of"/>), then staged and published.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sequence does not follow the current one, or views are staged.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A mutation of an unknown kind (nothing is applied).</exception>
    public EirView Apply(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        lock (_writeLock)
        {
            if (_staged.Count != 0)
            {
                throw new InvalidOperationException("Views are staged: publish or discard them first.");
            }

            var next = StageLocked(sequence, EffectOnHeadLocked(sequence, mutations), appliedAt);
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
                return HeadLocked();
            }
        }
    }

    /// <summary>
    /// Builds the view of <paramref name="sequence"/> (which must follow <see cref="Head"/>) without publishing it:
    /// a writer plans its next batch on it while the batch before is still being made durable. Readers keep the
    /// current view (the overlay entries it adds are invisible at the current sequence) until
    /// <see cref="Publish"/>; <see cref="DiscardStaged"/> takes every staged view back.
    /// </summary>
    /// <remarks>The mutations' effect is built on <see cref="Head"/> (<see cref="IndexEffectBuilder.Of"/>), then staged.</remarks>
    public EirView Stage(long sequence, ReadOnlySpan<Mutation> mutations, DateTimeOffset appliedAt)
    {
        lock (_writeLock)
        {
            return StageLocked(sequence, EffectOnHeadLocked(sequence, mutations), appliedAt);
        }
    }

    /// <summary>
    /// Stages a batch's effect, built on <see cref="Head"/>, as the view of <paramref name="sequence"/> (which must
    /// follow it): its entries go into the overlay as they are, nothing is read or worked out again. See
    /// <see cref="Stage(long, ReadOnlySpan{Mutation}, DateTimeOffset)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The sequence does not follow the head's, or the effect was built on another view than the head (an effect is only
    /// valid on the view it was built on: build it again).
    /// </exception>
    public EirView Stage(long sequence, IndexEffect effect, DateTimeOffset appliedAt)
    {
        ArgumentNullException.ThrowIfNull(effect);
        lock (_writeLock)
        {
            return StageLocked(sequence, effect, appliedAt);
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

    private EirView HeadLocked() => _staged.Count == 0 ? _current : _staged[^1].View;

    private static void CheckFollows(long sequence, EirView view)
    {
        if (sequence != view.Sequence + 1)
        {
            throw new InvalidOperationException($"Batch sequence {sequence} does not follow the index sequence {view.Sequence}.");
        }
    }

    // Followers and tests hand over mutations: their effect is worked out on the head by the same builder a planner
    // uses. The sequence is checked before any mutation is read.
    private IndexEffect EffectOnHeadLocked(long sequence, ReadOnlySpan<Mutation> mutations)
    {
        var head = HeadLocked();
        CheckFollows(sequence, head);
        return IndexEffectBuilder.Of(head, mutations);
    }

    private EirView StageLocked(long sequence, IndexEffect effect, DateTimeOffset appliedAt)
    {
        var view = HeadLocked();
        CheckFollows(sequence, view);
        if (!ReferenceEquals(effect.Basis, view))
        {
            throw new InvalidOperationException(
                $"The effect was built on a view of sequence {effect.BasisSequence} that is not the index head (sequence {view.Sequence}): an effect is only valid on the view it was built on.");
        }

        // The batch's entries go into the shared overlay with this sequence: invisible to the published view (its
        // readers look up at its sequence) until the view of this sequence replaces it.
        var changes = view.Changes.WithRoomFor(effect.Count);
        var mark = changes.Mark();
        try
        {
            foreach (var (imei, registered) in effect.Registered)
            {
                changes.Registered.Add(imei, sequence, registered);
            }

            foreach (var (imei, stolen) in effect.Stolen)
            {
                changes.Stolen.Add(imei, sequence, stolen);
            }

            // The records are copied into the overlay's arena: the map keeps no reference to the effect's lists.
            foreach (var (imei, bindings) in effect.Bindings)
            {
                changes.Bindings.Add(imei, sequence, changes.BindingRecords.Append(bindings.Records, bindings.SortedImsis));
            }

            foreach (var (imsi, msisdn) in effect.Subscribers)
            {
                changes.Subscribers.Add(imsi, sequence, msisdn);
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

        var staged = new EirView(snapshot, next, sequence, appliedAt, effect.Counts);
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
}
