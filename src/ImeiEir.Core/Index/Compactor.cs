namespace ImeiEir.Core.Index;

/// <summary>Folds an overlay's changes into a snapshot, producing a new snapshot (the old one is untouched).</summary>
internal static class Compactor
{
    public static EirSnapshot Compact(EirSnapshot snapshot, ChangeSet overlay)
    {
        if (overlay.IsEmpty)
        {
            return snapshot;
        }

        var registered = overlay.Registered.Count == 0 ? snapshot.Registered : MergeSet(snapshot.Registered, overlay.Registered);
        var stolen = overlay.Stolen.Count == 0 ? snapshot.Stolen : MergeSet(snapshot.Stolen, overlay.Stolen);
        var bindings = overlay.Bindings.Count == 0 ? snapshot.Bindings : snapshot.Bindings.With(overlay.Bindings, overlay.BindingRecords);
        var subscribers = overlay.Subscribers.Count == 0 ? snapshot.Subscribers : snapshot.Subscribers.With(overlay.Subscribers);
        return new EirSnapshot(registered, stolen, bindings, subscribers);
    }

    /// <summary>What a merge does with each key (a struct, so the walk calls it without dispatch).</summary>
    internal interface IMergeTarget
    {
        /// <summary>A key of the old structure that no change touches, with its rank there.</summary>
        void Keep(long key, int rank);

        /// <summary>A changed key (new, changed or removed), once, in order; <paramref name="index"/> is its place among the changes.</summary>
        void Change(long key, int index);
    }

    /// <summary>
    /// Walks the keys of <paramref name="set"/> (in blocks) and the changed keys (strictly ascending) together in
    /// ascending order: the one merge of every compacted structure.
    /// </summary>
    internal static void Merge<T>(CompactKeySet set, ReadOnlySpan<long> keys, ref T target)
        where T : struct, IMergeTarget
    {
        var i = 0;
        var rank = 0;
        foreach (var block in set.KeyBlocks())
        {
            foreach (var k in block)
            {
                for (; i < keys.Length && keys[i] < k; i++)
                {
                    target.Change(keys[i], i);
                }

                if (i < keys.Length && keys[i] == k)
                {
                    target.Change(k, i);
                    i++;
                }
                else
                {
                    target.Keep(k, rank);
                }

                rank++;
            }
        }

        for (; i < keys.Length; i++)
        {
            target.Change(keys[i], i);
        }
    }

    private static CompactKeySet MergeSet(CompactKeySet set, SortedChanges<bool> changes)
    {
        var target = new SetMerge(new CompactKeySet.Builder(set, changes.Count), changes.Values);
        Merge(set, changes.Keys, ref target);
        return target.Keys.Build();
    }

    private readonly struct SetMerge(CompactKeySet.Builder keys, bool[] present) : IMergeTarget
    {
        public CompactKeySet.Builder Keys { get; } = keys;

        public void Keep(long key, int rank) => Keys.Add(key);

        public void Change(long key, int index)
        {
            if (present[index])
            {
                Keys.Add(key);
            }
        }
    }
}
