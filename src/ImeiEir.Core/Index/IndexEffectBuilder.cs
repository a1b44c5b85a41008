using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImeiEir.Core.Index;

/// <summary>
/// Works out a batch's <see cref="IndexEffect"/> on one view, mutation by mutation: the one place that says what a
/// <see cref="Mutation"/> does to the index and to its counts. Reads answer "the view as this batch has changed it so
/// far", so a planner validates each delta against the deltas before it with the same state the effect is built from.
/// Writer only (not thread-safe); the view must not be a staged view taken back meanwhile.
/// </summary>
/// <remarks>
/// Each changed key is kept with its value in the view (its basis) and its value now; <see cref="Build"/> keeps the
/// keys whose value differs, so a change undone later in the batch leaves no entry. A mutation that changes nothing
/// (adding what is there, removing what is not) records nothing and counts nothing.
/// </remarks>
public sealed class IndexEffectBuilder
{
    private readonly EirView _basis;
    private readonly Dictionary<long, (bool Basis, bool Now)> _registered;
    private readonly Dictionary<long, (bool Basis, bool Now)> _stolen;
    private readonly Dictionary<long, (BindingRecord[] Basis, SortedSet<BindingRecord> Now)> _bindings;
    private readonly Dictionary<long, (long Basis, long Now)> _subscribers;
    private EirCounts _counts;

    /// <summary>
    /// A builder on <paramref name="basis"/>, sized for as many changed keys of each kind as given (a large batch's
    /// dictionaries are then not regrown: each growth copies them).
    /// </summary>
    public IndexEffectBuilder(EirView basis, int registered = 0, int stolen = 0, int boundImeis = 0, int subscribers = 0)
    {
        ArgumentNullException.ThrowIfNull(basis);
        _basis = basis;
        _registered = new(registered);
        _stolen = new(stolen);
        _bindings = new(boundImeis);
        _subscribers = new(subscribers);
        _counts = basis.Counts;
    }

    /// <summary>The view the effect is built on.</summary>
    public EirView Basis => _basis;

    /// <summary>The counts as the mutations applied so far leave them.</summary>
    public EirCounts Counts => _counts;

    /// <summary>The effect of <paramref name="mutations"/>, in order, on <paramref name="basis"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A mutation of an unknown kind.</exception>
    public static IndexEffect Of(EirView basis, ReadOnlySpan<Mutation> mutations)
    {
        // Sized by kind (an upper bound of the keys changed), so that a large batch's dictionaries are not regrown.
        // Bindings are not: a clone IMEI gets thousands of them in one batch, one dictionary entry.
        int registered = 0, stolen = 0, subscribers = 0;
        foreach (ref readonly var m in mutations)
        {
            switch (m.Kind)
            {
                case MutationKind.AddRegistered or MutationKind.RemoveRegistered: registered++; break;
                case MutationKind.AddStolen or MutationKind.RemoveStolen: stolen++; break;
                case MutationKind.SetSubscriber or MutationKind.RemoveSubscriber: subscribers++; break;
                default: break;
            }
        }

        var builder = new IndexEffectBuilder(basis, registered, stolen, 0, subscribers);
        foreach (ref readonly var m in mutations)
        {
            builder.Apply(in m);
        }

        return builder.Build();
    }

    public bool IsRegistered(long imei)
        => _registered.TryGetValue(imei, out var v) ? v.Now : _basis.IsRegistered(imei);

    public bool IsStolen(long imei)
        => _stolen.TryGetValue(imei, out var v) ? v.Now : _basis.IsStolen(imei);

    /// <summary>The MSISDN an IMSI belongs to in the subscriber map (false and 0: none).</summary>
    public bool TryGetMsisdn(long imsiKey, out long msisdn)
    {
        if (_subscribers.TryGetValue(imsiKey, out var v))
        {
            msisdn = v.Now;
            return msisdn != 0;
        }

        _basis.TryGetMsisdn(imsiKey, out msisdn);
        return msisdn != 0;
    }

    public bool HasBinding(long imei, BindingRecord record)
        => _bindings.TryGetValue(imei, out var edit) ? edit.Now.Contains(record) : _basis.GetBindings(imei).Records.BinarySearch(record) >= 0;

    /// <summary>Whether a record of the IMEI carries this MSISDN (never for 0, as <see cref="BindingsView.HasMsisdn"/>).</summary>
    public bool HasMsisdn(long imei, long msisdn)
    {
        if (msisdn == 0)
        {
            return false;
        }

        if (_bindings.TryGetValue(imei, out var edit))
        {
            return edit.Now.GetViewBetween(new BindingRecord(msisdn, long.MinValue), new BindingRecord(msisdn, long.MaxValue)).Count > 0;
        }

        return _basis.GetBindings(imei).HasMsisdn(msisdn);
    }

    /// <summary>The IMEI's binding records, sorted, as a new array (the caller may apply mutations while walking it).</summary>
    public BindingRecord[] GetBindingRecords(long imei)
        => _bindings.TryGetValue(imei, out var edit) ? [.. edit.Now] : _basis.GetBindings(imei).Records.ToArray();

    /// <summary>Applies one mutation to the state the next reads and the effect see.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A mutation of an unknown kind (the builder is unchanged).</exception>
    public void Apply(in Mutation m)
    {
        switch (m.Kind)
        {
            case MutationKind.AddRegistered:
            case MutationKind.RemoveRegistered:
                if (Set(_registered, m.Imei, m.Kind == MutationKind.AddRegistered, stolenKind: false) is { } registered)
                {
                    _counts = _counts with { RegisteredImeis = _counts.RegisteredImeis + (registered ? 1 : -1) };
                }

                return;

            case MutationKind.AddStolen:
            case MutationKind.RemoveStolen:
                if (Set(_stolen, m.Imei, m.Kind == MutationKind.AddStolen, stolenKind: true) is { } stolen)
                {
                    _counts = _counts with { StolenImeis = _counts.StolenImeis + (stolen ? 1 : -1) };
                }

                return;

            case MutationKind.AddBinding:
            case MutationKind.RemoveBinding:
            {
                var add = m.Kind == MutationKind.AddBinding;
                if (EditBinding(m.Imei, new BindingRecord(m.Msisdn, m.Imsi), add))
                {
                    _counts = _counts with { Bindings = _counts.Bindings + (add ? 1 : -1) };
                }

                return;
            }

            case MutationKind.SetSubscriber:
            case MutationKind.RemoveSubscriber:
            {
                var value = m.Kind == MutationKind.SetSubscriber ? m.Msisdn : 0;
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_subscribers, m.Imsi);
                var known = !Unsafe.IsNullRef(ref entry);
                long had;
                if (known)
                {
                    had = entry.Now;
                }
                else
                {
                    _basis.TryGetMsisdn(m.Imsi, out had);
                }

                if (had == value)
                {
                    return;
                }

                if (known)
                {
                    entry.Now = value;
                }
                else
                {
                    _subscribers.Add(m.Imsi, (had, value));
                }

                // A number replaced by another is no new subscriber; one set or removed is.
                if ((had != 0) != (value != 0))
                {
                    _counts = _counts with { Subscribers = _counts.Subscribers + (value != 0 ? 1 : -1) };
                }

                return;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(m), m.Kind, "Unknown mutation kind.");
        }
    }

    /// <summary>
    /// The effect of the mutations applied so far. Bindings were edited in sorted sets (a batch adding thousands of
    /// records to one clone IMEI stays O(n log n)); they become immutable lists once, here. The builder may go on.
    /// </summary>
    public IndexEffect Build()
        => new(_basis, Changed(_registered), Changed(_stolen), ChangedBindings(), Changed(_subscribers), _counts);

    // Sets a key to `want`; the new value when it changed, null when it already was (nothing recorded then).
    private bool? Set(Dictionary<long, (bool Basis, bool Now)> keys, long key, bool want, bool stolenKind)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(keys, key);
        if (!Unsafe.IsNullRef(ref entry))
        {
            if (entry.Now == want)
            {
                return null;
            }

            entry.Now = want;
            return want;
        }

        var had = stolenKind ? _basis.IsStolen(key) : _basis.IsRegistered(key);
        if (had == want)
        {
            return null;
        }

        keys.Add(key, (had, want));
        return want;
    }

    // Whether the record was added (removed) rather than already there (absent). An IMEI's records are copied into a
    // sorted set at its first change only: a mutation that changes nothing reads the view and copies nothing.
    private bool EditBinding(long imei, BindingRecord record, bool add)
    {
        if (_bindings.TryGetValue(imei, out var edit))
        {
            return add ? edit.Now.Add(record) : edit.Now.Remove(record);
        }

        if ((_basis.GetBindings(imei).Records.BinarySearch(record) >= 0) == add)
        {
            return false;
        }

        var basis = _basis.GetBindingRecords(imei);
        var set = new SortedSet<BindingRecord>(basis);
        _ = add ? set.Add(record) : set.Remove(record);
        _bindings.Add(imei, (basis, set));
        return true;
    }

    private static KeyValuePair<long, T>[] Changed<T>(Dictionary<long, (T Basis, T Now)> keys)
        where T : IEquatable<T>
    {
        var n = 0;
        foreach (var (_, v) in keys)
        {
            n += v.Basis.Equals(v.Now) ? 0 : 1;
        }

        if (n == 0)
        {
            return [];
        }

        var changed = new KeyValuePair<long, T>[n];
        n = 0;
        foreach (var (k, v) in keys)
        {
            if (!v.Basis.Equals(v.Now))
            {
                changed[n++] = new(k, v.Now);
            }
        }

        return changed;
    }

    // An IMEI is edited only once a mutation changed its records, so nearly every edited one differs at the end.
    private KeyValuePair<long, BindingList>[] ChangedBindings()
    {
        if (_bindings.Count == 0)
        {
            return [];
        }

        var changed = new KeyValuePair<long, BindingList>[_bindings.Count];
        var n = 0;
        foreach (var (imei, (basis, now)) in _bindings)
        {
            if (now.Count == basis.Length && now.SequenceEqual(basis))
            {
                continue;
            }

            changed[n++] = new(imei, now.Count == 0 ? BindingList.None : new BindingList([.. now]));
        }

        Array.Resize(ref changed, n);
        return changed;
    }
}
