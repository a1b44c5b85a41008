namespace ImeiEir.Core.Index;

/// <summary>Folds an overlay's changes into a snapshot, producing a new snapshot (the old one is untouched).</summary>
internal static class Compactor
{
    // Keys are walked in blocks of this many (CompactKeySet.CopyKeys), not one iterator step each.
    internal const int KeyBuffer = 4096;

    public static EirSnapshot Compact(EirSnapshot snapshot, ChangeSet overlay)
    {
        if (overlay.IsEmpty)
        {
            return snapshot;
        }

        var registered = overlay.Registered.Count == 0 ? snapshot.Registered : MergeSet(snapshot.Registered, overlay.Registered);
        var stolen = overlay.Stolen.Count == 0 ? snapshot.Stolen : MergeSet(snapshot.Stolen, overlay.Stolen);
        var bindings = overlay.Bindings.Count == 0 ? snapshot.Bindings : snapshot.Bindings.With(overlay.Bindings);
        var subscribers = overlay.Subscribers.Count == 0 ? snapshot.Subscribers : snapshot.Subscribers.With(overlay.Subscribers);
        return new EirSnapshot(registered, stolen, bindings, subscribers);
    }

    private static CompactKeySet MergeSet(CompactKeySet set, Dictionary<long, bool> changes)
    {
        var keys = changes.Keys.ToArray();
        Array.Sort(keys);
        var b = new CompactKeySet.Builder();
        var i = 0;
        var buffer = new long[KeyBuffer];
        var cursor = default(CompactKeySet.KeyCursor);
        int n;
        while ((n = set.CopyKeys(ref cursor, buffer)) > 0)
        {
            foreach (var k in buffer.AsSpan(0, n))
            {
                for (; i < keys.Length && keys[i] < k; i++)
                {
                    if (changes[keys[i]])
                    {
                        b.Add(keys[i]);
                    }
                }

                if (i < keys.Length && keys[i] == k)
                {
                    if (changes[k])
                    {
                        b.Add(k);
                    }

                    i++;
                }
                else
                {
                    b.Add(k);
                }
            }
        }

        for (; i < keys.Length; i++)
        {
            if (changes[keys[i]])
            {
                b.Add(keys[i]);
            }
        }

        return b.Build();
    }
}
