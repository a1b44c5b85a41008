namespace ImeiEir.Core.Index;

/// <summary>
/// What one batch does to the index, resolved on the view it was built on (its basis): per kind of key, the final value
/// of each key the batch changes (only keys whose value differs from the basis; each once), and the counts of the view
/// after it. Built by <see cref="IndexEffectBuilder"/>, the one place that says what a <see cref="Mutation"/> does;
/// <see cref="EirIndex.Stage(long, IndexEffect, DateTimeOffset)"/> writes it into the overlay as it is, reading nothing.
/// Valid on its basis only: staged on any other view it would be wrong, and staging refuses it.
/// </summary>
public sealed class IndexEffect
{
    private readonly KeyValuePair<long, bool>[] _registered;
    private readonly KeyValuePair<long, bool>[] _stolen;
    private readonly KeyValuePair<long, BindingList>[] _bindings;
    private readonly KeyValuePair<long, long>[] _subscribers;

    internal IndexEffect(
        EirView basis,
        KeyValuePair<long, bool>[] registered,
        KeyValuePair<long, bool>[] stolen,
        KeyValuePair<long, BindingList>[] bindings,
        KeyValuePair<long, long>[] subscribers,
        EirCounts counts)
    {
        Basis = basis;
        _registered = registered;
        _stolen = stolen;
        _bindings = bindings;
        _subscribers = subscribers;
        Counts = counts;
    }

    /// <summary>The effect of nothing on <paramref name="basis"/>: no entry, the basis' counts.</summary>
    internal static IndexEffect Nothing(EirView basis) => new(basis, [], [], [], [], basis.Counts);

    /// <summary>The view the effect was built on: the only one it may be staged on.</summary>
    internal EirView Basis { get; }

    /// <summary>The sequence of the view the effect was built on; it is staged as the next one.</summary>
    public long BasisSequence => Basis.Sequence;

    /// <summary>IMEI key → registered after the batch, for every IMEI whose registration the batch changes.</summary>
    public ReadOnlySpan<KeyValuePair<long, bool>> Registered => _registered;

    /// <summary>IMEI key → reported stolen after the batch, for every IMEI whose report the batch changes.</summary>
    public ReadOnlySpan<KeyValuePair<long, bool>> Stolen => _stolen;

    /// <summary>IMEI key → its binding records after the batch (<see cref="BindingList.None"/>: none left), for every IMEI whose records the batch changes.</summary>
    public ReadOnlySpan<KeyValuePair<long, BindingList>> Bindings => _bindings;

    /// <summary>IMSI key → its MSISDN after the batch (0: removed), for every IMSI whose number the batch changes.</summary>
    public ReadOnlySpan<KeyValuePair<long, long>> Subscribers => _subscribers;

    /// <summary>The counts of the view after the batch (exact: each mutation was compared with the state it changes).</summary>
    public EirCounts Counts { get; }

    /// <summary>Entries of every kind: what staging appends to the overlay.</summary>
    public int Count => _registered.Length + _stolen.Length + _bindings.Length + _subscribers.Length;
}
