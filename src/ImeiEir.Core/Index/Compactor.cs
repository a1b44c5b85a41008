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
        var bindings = overlay.Bindings.Count == 0 ? snapshot.Bindings : BindingTable.Build(MergeBindings(snapshot.Bindings, overlay.Bindings));
        var subscribers = overlay.Subscribers.Count == 0 ? snapshot.Subscribers : SubscriberTable.Build(MergeSubscribers(snapshot.Subscribers, overlay.Subscribers));
        return new EirSnapshot(registered, stolen, bindings, subscribers);
    }

    private static CompactKeySet MergeSet(CompactKeySet set, Dictionary<long, bool> changes)
    {
        var keys = changes.Keys.ToArray();
        Array.Sort(keys);
        var b = new CompactKeySet.Builder();
        var i = 0;
        foreach (var k in set.Keys())
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

        for (; i < keys.Length; i++)
        {
            if (changes[keys[i]])
            {
                b.Add(keys[i]);
            }
        }

        return b.Build();
    }

    private static IEnumerable<(long, BindingRecord[])> MergeBindings(BindingTable table, Dictionary<long, BindingList> changes)
    {
        var keys = changes.Keys.ToArray();
        Array.Sort(keys);
        var i = 0;
        foreach (var (imei, records) in table.Entries())
        {
            for (; i < keys.Length && keys[i] < imei; i++)
            {
                yield return (keys[i], changes[keys[i]].Records);
            }

            if (i < keys.Length && keys[i] == imei)
            {
                yield return (imei, changes[imei].Records);
                i++;
            }
            else
            {
                yield return (imei, records);
            }
        }

        for (; i < keys.Length; i++)
        {
            yield return (keys[i], changes[keys[i]].Records);
        }
    }

    private static IEnumerable<(long, long)> MergeSubscribers(SubscriberTable table, Dictionary<long, long> changes)
    {
        var keys = changes.Keys.ToArray();
        Array.Sort(keys);
        var i = 0;
        foreach (var (imsi, msisdn) in table.Entries())
        {
            for (; i < keys.Length && keys[i] < imsi; i++)
            {
                if (changes[keys[i]] != 0)
                {
                    yield return (keys[i], changes[keys[i]]);
                }
            }

            if (i < keys.Length && keys[i] == imsi)
            {
                if (changes[imsi] != 0)
                {
                    yield return (imsi, changes[imsi]);
                }

                i++;
            }
            else
            {
                yield return (imsi, msisdn);
            }
        }

        for (; i < keys.Length; i++)
        {
            if (changes[keys[i]] != 0)
            {
                yield return (keys[i], changes[keys[i]]);
            }
        }
    }
}
