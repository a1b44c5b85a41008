using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>
/// <see cref="IndexEffectBuilder"/>: what each mutation does to the index, worked out once. Only keys whose value the
/// batch changes get an entry (with their final value), a mutation that changes nothing counts nothing, and reads see
/// the batch's own earlier mutations.
/// </summary>
public class IndexEffectBuilderTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // Registered 1, 2 (snapshot) and 4 (overlay); stolen 3; IMEI 5 bound to 10/20 and 11/- (snapshot), IMEI 6 to 30/-
    // (overlay); subscribers 20 → 10, 21 → 12 (snapshot), 22 → 14 (overlay).
    private static EirView Basis()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Build([1, 2], [3], [(5, new BindingRecord(10, 20)), (5, new BindingRecord(11, 0))], [(20, 10), (21, 12)]), 0);
        return index.Apply(1, [Mutation.Register(4), Mutation.Bind(6, 30), Mutation.Subscriber(22, 14)], At);
    }

    private static readonly EirCounts BasisCounts = new(3, 3, 1, 3);

    public static TheoryData<string, Mutation, string, EirCounts> OneMutation => new()
    {
        { "register a new imei", Mutation.Register(7), "registered 7=True", new(1, 0, 0, 0) },
        { "register one in the snapshot", Mutation.Register(1), "", default },
        { "register one in the overlay", Mutation.Register(4), "", default },
        { "unregister", Mutation.Unregister(2), "registered 2=False", new(-1, 0, 0, 0) },
        { "unregister the absent", Mutation.Unregister(9), "", default },
        { "report stolen", Mutation.Stolen(1), "stolen 1=True", new(0, 0, 1, 0) },
        { "report the stolen again", Mutation.Stolen(3), "", default },
        { "clear stolen", Mutation.ClearStolen(3), "stolen 3=False", new(0, 0, -1, 0) },
        { "clear the not stolen", Mutation.ClearStolen(1), "", default },
        { "bind a third record", Mutation.Bind(5, 12), "bindings 5=[10/20 11/0 12/0]", new(0, 1, 0, 0) },
        { "bind a record that is there", Mutation.Bind(5, 10, 20), "", default },
        { "bind an overlay record again", Mutation.Bind(6, 30), "", default },
        { "bind a new imei", Mutation.Bind(8, 40, 41), "bindings 8=[40/41]", new(0, 1, 0, 0) },
        { "bind imsi only", Mutation.Bind(8, 0, 41), "bindings 8=[0/41]", new(0, 1, 0, 0) },
        { "unbind", Mutation.Unbind(5, 10, 20), "bindings 5=[11/0]", new(0, -1, 0, 0) },
        { "unbind the last record", Mutation.Unbind(6, 30), "bindings 6=[]", new(0, -1, 0, 0) },
        { "unbind with another imsi", Mutation.Unbind(5, 10), "", default },
        { "unbind of an unbound imei", Mutation.Unbind(9, 10), "", default },
        { "set a new subscriber", Mutation.Subscriber(23, 15), "subscribers 23=15", new(0, 0, 0, 1) },
        { "move a subscriber to another number", Mutation.Subscriber(20, 11), "subscribers 20=11", default },
        { "set a subscriber to its number", Mutation.Subscriber(20, 10), "", default },
        { "set a subscriber to 0", Mutation.Subscriber(20, 0), "subscribers 20=0", new(0, 0, 0, -1) },
        { "remove a subscriber", Mutation.RemoveSubscriber(21), "subscribers 21=0", new(0, 0, 0, -1) },
        { "remove an overlay subscriber", Mutation.RemoveSubscriber(22), "subscribers 22=0", new(0, 0, 0, -1) },
        { "remove the absent", Mutation.RemoveSubscriber(99), "", default },
    };

    [Theory]
    [MemberData(nameof(OneMutation))]
    public void Apply_OneMutation_AnEntryOnlyForAChangedKeyAndExactCounts(string name, Mutation mutation, string expected, EirCounts change)
    {
        var basis = Basis();
        var builder = new IndexEffectBuilder(basis);

        builder.Apply(in mutation);
        var effect = builder.Build();

        Assert.True(expected == Describe(effect), $"{name}: {Describe(effect)}");
        Assert.Equal(Add(BasisCounts, change), effect.Counts);
        Assert.Equal(effect.Counts, builder.Counts);
        Assert.Equal(basis.Sequence, effect.BasisSequence);
        Assert.Equal(expected.Length == 0 ? 0 : 1, effect.Count);
    }

    public static TheoryData<string, Mutation[]> NettingOut => new()
    {
        { "register then unregister", [Mutation.Register(7), Mutation.Unregister(7)] },
        { "unregister then register", [Mutation.Unregister(1), Mutation.Register(1), Mutation.Register(1)] },
        { "stolen then cleared", [Mutation.Stolen(1), Mutation.ClearStolen(1)] },
        { "cleared then stolen", [Mutation.ClearStolen(3), Mutation.Stolen(3)] },
        { "bind then unbind", [Mutation.Bind(5, 12), Mutation.Unbind(5, 12)] },
        { "unbind then bind", [Mutation.Unbind(5, 10, 20), Mutation.Bind(5, 10, 20)] },
        { "new imei bound then unbound", [Mutation.Bind(8, 40), Mutation.Bind(8, 41), Mutation.Unbind(8, 41), Mutation.Unbind(8, 40)] },
        { "subscriber set then removed", [Mutation.Subscriber(23, 15), Mutation.RemoveSubscriber(23)] },
        { "subscriber moved and back", [Mutation.Subscriber(20, 11), Mutation.Subscriber(20, 10)] },
        { "subscriber removed and set again", [Mutation.RemoveSubscriber(22), Mutation.Subscriber(22, 14)] },
    };

    [Theory]
    [MemberData(nameof(NettingOut))]
    public void Apply_ChangeUndoneInTheSameBatch_NoEntryAndTheBasisCounts(string name, Mutation[] batch)
    {
        var builder = new IndexEffectBuilder(Basis());

        foreach (var m in batch)
        {
            builder.Apply(in m);
        }

        var effect = builder.Build();
        Assert.True(effect.Count == 0, $"{name}: {Describe(effect)}");
        Assert.Equal(BasisCounts, effect.Counts);
    }

    [Fact]
    public void Apply_BindingsEditedOverSeveralMutations_OneEntryWithTheFinalSortedRecords()
    {
        var builder = new IndexEffectBuilder(Basis());

        foreach (var m in new[] { Mutation.Bind(5, 12), Mutation.Unbind(5, 10, 20), Mutation.Bind(5, 9), Mutation.Bind(5, 12), Mutation.Unbind(5, 99), Mutation.Bind(5, 11, 7) })
        {
            builder.Apply(in m);
        }

        // A clone: past the IMSI-index threshold, its list gets the sorted IMSI index.
        for (var i = 0; i < BindingList.ImsiIndexThreshold + 4; i++)
        {
            var m = Mutation.Bind(35_290_611_000_001, 996_700_000_000 - i, 437_010_000_000_000 + i);
            builder.Apply(in m);
        }

        var effect = builder.Build();
        Assert.Equal("bindings 5=[9/0 11/0 11/7 12/0], 35290611000001=[" + string.Join(" ", Enumerable.Range(0, 20).Reverse().Select(i => $"{996_700_000_000 - i}/{437_010_000_000_000 + i}")) + "]", Describe(effect));
        Assert.Equal(BasisCounts with { Bindings = 3 + 2 + 20 }, effect.Counts);
        var clone = effect.Bindings.ToArray().Single(e => e.Key == 35_290_611_000_001).Value;
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 437_010_000_000_000L + i), clone.SortedImsis);
    }

    [Fact]
    public void Reads_AfterMutations_SeeTheBatchSoFarWhileTheBasisDoesNot()
    {
        var basis = Basis();
        var builder = new IndexEffectBuilder(basis);

        foreach (var m in new[] { Mutation.Register(7), Mutation.Unregister(1), Mutation.Stolen(1), Mutation.ClearStolen(3), Mutation.Unbind(5, 10, 20), Mutation.Bind(5, 12, 40), Mutation.RemoveSubscriber(20), Mutation.Subscriber(23, 15) })
        {
            builder.Apply(in m);
        }

        Assert.True(builder.IsRegistered(7) && !builder.IsRegistered(1) && builder.IsRegistered(2) && builder.IsRegistered(4));
        Assert.True(builder.IsStolen(1) && !builder.IsStolen(3));
        Assert.False(builder.HasBinding(5, new BindingRecord(10, 20)));
        Assert.True(builder.HasBinding(5, new BindingRecord(12, 40)) && builder.HasBinding(6, new BindingRecord(30, 0)));
        Assert.False(builder.HasBinding(6, new BindingRecord(30, 1)));
        Assert.True(builder.HasMsisdn(5, 12) && builder.HasMsisdn(5, 11) && builder.HasMsisdn(6, 30));
        Assert.False(builder.HasMsisdn(5, 10) || builder.HasMsisdn(5, 0) || builder.HasMsisdn(9, 30));
        Assert.Equal([new(11, 0), new(12, 40)], builder.GetBindingRecords(5));
        Assert.Equal([new(30, 0)], builder.GetBindingRecords(6));
        Assert.Empty(builder.GetBindingRecords(9));
        Assert.False(builder.TryGetMsisdn(20, out var removed));
        Assert.Equal(0, removed);
        Assert.True(builder.TryGetMsisdn(23, out var added) && added == 15);
        Assert.True(builder.TryGetMsisdn(21, out var kept) && kept == 12);

        Assert.True(basis.IsRegistered(1) && !basis.IsRegistered(7) && basis.IsStolen(3));
        Assert.True(basis.GetBindings(5).HasMsisdn(10) && basis.TryGetMsisdn(20, out _));
        Assert.Equal(BasisCounts, basis.Counts);
    }

    [Fact]
    public void GetBindingRecords_WalkedWhileUnbinding_IsACopy()
    {
        var builder = new IndexEffectBuilder(Basis());

        foreach (var r in builder.GetBindingRecords(5))
        {
            builder.Apply(Mutation.Unbind(5, r.Msisdn, r.Imsi));
        }

        Assert.Equal("bindings 5=[]", Describe(builder.Build()));
    }

    [Fact]
    public void Apply_UnknownKind_ThrowsAndChangesNothing()
    {
        var builder = new IndexEffectBuilder(Basis());
        builder.Apply(Mutation.Register(7));

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Apply(new Mutation((MutationKind)99, 8)));

        Assert.Equal("registered 7=True", Describe(builder.Build()));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexEffectBuilder.Of(Basis(), [Mutation.Register(8), new Mutation((MutationKind)99, 8)]));
    }

    [Fact]
    public void Build_ThenMoreMutations_TheFirstEffectStaysAsItWas()
    {
        var builder = new IndexEffectBuilder(Basis());
        builder.Apply(Mutation.Bind(5, 12));
        var first = builder.Build();

        builder.Apply(Mutation.Bind(5, 13));
        builder.Apply(Mutation.Register(7));
        var second = builder.Build();

        Assert.Equal("bindings 5=[10/20 11/0 12/0]", Describe(first));
        Assert.Equal("registered 7=True; bindings 5=[10/20 11/0 12/0 13/0]", Describe(second));
        Assert.Equal(BasisCounts with { Bindings = 4 }, first.Counts);
    }

    [Fact]
    public void Of_Mutations_SameEffectAsApplyingThemOneByOne()
    {
        var basis = Basis();
        Mutation[] batch = [Mutation.Register(7), Mutation.Register(7), Mutation.Unregister(2), Mutation.Stolen(1), Mutation.Bind(5, 12), Mutation.Unbind(6, 30), Mutation.Subscriber(20, 11), Mutation.RemoveSubscriber(21)];
        var builder = new IndexEffectBuilder(basis);
        foreach (var m in batch)
        {
            builder.Apply(in m);
        }

        Assert.Equal(EffectContent.Of(builder.Build()), EffectContent.Of(IndexEffectBuilder.Of(basis, batch)));
    }

    private static EirCounts Add(EirCounts a, EirCounts b)
        => new(a.RegisteredImeis + b.RegisteredImeis, a.Bindings + b.Bindings, a.StolenImeis + b.StolenImeis, a.Subscribers + b.Subscribers);

    // "registered 7=True; stolen …; bindings 5=[10/20 11/0]; subscribers 23=15", keys ascending; "" for no entry.
    private static string Describe(IndexEffect effect)
    {
        var c = EffectContent.Of(effect);
        var parts = new List<string>();
        if (c.Registered.Length > 0)
        {
            parts.Add("registered " + string.Join(", ", c.Registered.Select(e => $"{e.Imei}={e.Registered}")));
        }

        if (c.Stolen.Length > 0)
        {
            parts.Add("stolen " + string.Join(", ", c.Stolen.Select(e => $"{e.Imei}={e.Stolen}")));
        }

        if (c.Bindings.Length > 0)
        {
            parts.Add("bindings " + string.Join(", ", c.Bindings.Select(e => $"{e.Imei}=[{e.Records}]")));
        }

        if (c.Subscribers.Length > 0)
        {
            parts.Add("subscribers " + string.Join(", ", c.Subscribers.Select(e => $"{e.Imsi}={e.Msisdn}")));
        }

        return string.Join("; ", parts);
    }
}
