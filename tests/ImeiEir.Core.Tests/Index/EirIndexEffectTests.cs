using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>
/// <see cref="EirIndex.Stage(long, IndexEffect, DateTimeOffset)"/>: an effect is written as it is, on the view it was
/// built on and on no other.
/// </summary>
public class EirIndexEffectTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static EirIndex NewIndex()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Build([1, 2], [3], [(5, new BindingRecord(10, 20))], [(20, 10)]), 0);
        return index;
    }

    [Fact]
    public void Stage_EffectBuiltOnTheHead_AppendsItsEntriesOnlyAndTakesItsCounts()
    {
        var index = NewIndex();
        var builder = new IndexEffectBuilder(index.Head);
        foreach (var m in new[] { Mutation.Register(1), Mutation.Register(7), Mutation.Register(8), Mutation.Unregister(8), Mutation.ClearStolen(3), Mutation.Bind(5, 11), Mutation.Bind(5, 10, 20), Mutation.Subscriber(20, 10), Mutation.Subscriber(21, 12) })
        {
            builder.Apply(in m);
        }

        var effect = builder.Build();
        var staged = index.Stage(1, effect, At);

        Assert.Equal(4, effect.Count);
        Assert.Equal(4, staged.OverlayEntries);
        Assert.Equal(new EirCounts(3, 2, 0, 2), staged.Counts);
        Assert.Equal(effect.Counts, staged.Counts);
        Assert.True(staged.IsRegistered(7) && !staged.IsRegistered(8) && !staged.IsStolen(3));
        Assert.Equal([new(10, 20), new(11, 0)], staged.GetBindings(5).Records.ToArray());
        Assert.True(staged.TryGetMsisdn(21, out var m21) && m21 == 12);
        Assert.False(index.Current.IsRegistered(7));
        index.Publish(staged);
        Assert.Same(staged, index.Current);
    }

    [Fact]
    public void Stage_EffectBuiltOnAnEarlierView_ThrowsAndStagesNothing()
    {
        var index = NewIndex();
        var effect = IndexEffectBuilder.Of(index.Current, [Mutation.Register(7)]);
        var head = index.Apply(1, [Mutation.Register(9)], At);

        Assert.Throws<InvalidOperationException>(() => index.Stage(2, effect, At));
        Assert.Throws<InvalidOperationException>(() => index.Stage(1, effect, At));

        Assert.Same(head, index.Head);
        Assert.Equal(1, head.OverlayEntries);
        Assert.False(index.Apply(2, [], At).IsRegistered(7));
    }

    [Fact]
    public void Stage_EffectBuiltOnThePublishedViewWhileAnotherIsStaged_Throws()
    {
        var index = NewIndex();
        var staged = index.Stage(1, [Mutation.Register(9)], At);
        var effect = IndexEffectBuilder.Of(index.Current, [Mutation.Register(7)]);

        Assert.Throws<InvalidOperationException>(() => index.Stage(2, effect, At));

        Assert.Same(staged, index.Head);
        var next = index.Stage(2, IndexEffectBuilder.Of(index.Head, [Mutation.Register(7)]), At);
        Assert.True(next.IsRegistered(7) && next.IsRegistered(9));
    }

    [Fact]
    public void Stage_EffectBuiltOnAViewTakenBack_ThrowsThoughItsSequenceIsTheHeadsAgain()
    {
        // Planned on staged view 1 (register 9); that view is taken back and another batch becomes 1 (unregister 1).
        var index = NewIndex();
        var takenBack = index.Stage(1, [Mutation.Register(9)], At);
        var effect = IndexEffectBuilder.Of(takenBack, [Mutation.Register(7)]);
        index.DiscardStaged();
        index.Apply(1, [Mutation.Unregister(1)], At);

        Assert.Equal(index.Head.Sequence, effect.BasisSequence);
        Assert.Throws<InvalidOperationException>(() => index.Stage(2, effect, At));
        Assert.Equal(1, index.Head.Sequence);
    }

    [Fact]
    public void Stage_EmptyEffect_ANewViewWithTheSameAnswers()
    {
        var index = NewIndex();
        var builder = new IndexEffectBuilder(index.Head);
        builder.Apply(Mutation.Register(1));
        builder.Apply(Mutation.Unbind(5, 99));

        var staged = index.Stage(1, builder.Build(), At);

        Assert.Equal(0, staged.OverlayEntries);
        Assert.Equal(index.Current.Counts, staged.Counts);
        Assert.Equal(1, staged.Sequence);
    }
}
