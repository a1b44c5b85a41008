using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

public class EirIndexTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A threshold small enough that a handful of changes compacts.</summary>
    private static IndexOptions Tiny => new() { CompactionMinimumChanges = 8 };

    private static EirIndex NewIndex(IndexOptions? options = null)
    {
        var index = new EirIndex(options);
        index.Load(EirSnapshot.Empty, 0);
        return index;
    }

    [Fact]
    public void IsLoaded_NewIndex_IsFalseUntilLoadedOrMarked()
    {
        var index = new EirIndex();
        Assert.False(index.IsLoaded);
        index.Load(EirSnapshot.Empty, 0);
        Assert.True(index.IsLoaded);

        var fresh = new EirIndex();
        fresh.MarkLoaded();
        Assert.True(fresh.IsLoaded);
    }

    [Fact]
    public void Replace_NotMarkedLoaded_SwapsTheDataButStaysNotReady()
    {
        var index = new EirIndex();

        index.Replace(EirSnapshot.Build([1, 2], [], [], []), 10, At, markLoaded: false);

        Assert.False(index.IsLoaded);
        Assert.Equal(10, index.Current.Sequence);
        Assert.Equal(2, index.Current.Counts.RegisteredImeis);
        index.Apply(11, [Mutation.Register(3)], At);
        Assert.False(index.IsLoaded);
        index.Replace(EirSnapshot.Empty, 20, null, markLoaded: true);
        Assert.True(index.IsLoaded);
        Assert.False(index.Current.IsRegistered(1));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(0, 0)]
    [InlineData(0, -1)]
    [InlineData(5, 5)]
    [InlineData(5, 7)]
    [InlineData(5, 4)]
    public void Apply_SequenceDoesNotFollow_ThrowsAndKeepsTheView(long loadedAt, long sequence)
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, loadedAt);
        var before = index.Current;

        Assert.Throws<InvalidOperationException>(() => index.Apply(sequence, [Mutation.Register(1)], At));

        Assert.Same(before, index.Current);
        Assert.False(index.Current.IsRegistered(1));
    }

    [Fact]
    public void Apply_NextSequence_PublishesANewViewWithSequenceAndTime()
    {
        var index = NewIndex();

        var view = index.Apply(1, [Mutation.Register(7)], At);

        Assert.Same(view, index.Current);
        Assert.Equal(1, view.Sequence);
        Assert.Equal(At, view.LastAppliedAt);
        Assert.True(view.IsRegistered(7));
        Assert.Throws<InvalidOperationException>(() => index.Apply(1, [Mutation.Register(8)], At));
        Assert.Equal(2, index.Apply(2, [], At).Sequence);
    }

    [Fact]
    public void Apply_BatchFailingHalfway_PublishesNothing()
    {
        var index = NewIndex();
        index.Apply(1, [Mutation.Register(1)], At);
        var before = index.Current;

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Apply(2, [Mutation.Register(2), Mutation.Unregister(1), new Mutation((MutationKind)99, 3)], At));

        Assert.Same(before, index.Current);
        Assert.True(index.Current.IsRegistered(1));
        Assert.False(index.Current.IsRegistered(2));
        Assert.Equal(1, index.Current.Counts.RegisteredImeis);
        Assert.Equal(2, index.Apply(2, [Mutation.Register(2)], At).Counts.RegisteredImeis);
    }

    [Fact]
    public void Apply_OldView_NeverChangesAfterLaterBatches()
    {
        var index = NewIndex(Tiny);
        var v1 = index.Apply(1, [Mutation.Register(1), Mutation.Stolen(2), Mutation.Bind(3, 996700000001), Mutation.Subscriber(4, 996700000004)], At);

        for (long s = 2; s < 40; s++)
        {
            index.Apply(s, [Mutation.Unregister(1), Mutation.ClearStolen(2), Mutation.Unbind(3, 996700000001), Mutation.RemoveSubscriber(4), Mutation.Register(1000 + s)], At);
        }

        Assert.True(index.Compactions > 0);
        Assert.True(v1.IsRegistered(1));
        Assert.True(v1.IsStolen(2));
        Assert.True(v1.GetBindings(3).HasMsisdn(996700000001));
        Assert.True(v1.TryGetMsisdn(4, out var m) && m == 996700000004);
        Assert.False(v1.IsRegistered(1002));
        Assert.Equal(new EirCounts(1, 1, 1, 1), v1.Counts);
        var now = index.Current;
        Assert.False(now.IsRegistered(1));
        Assert.False(now.IsStolen(2));
        Assert.True(now.GetBindings(3).IsEmpty);
        Assert.False(now.TryGetMsisdn(4, out _));
    }

    public static TheoryData<string, Mutation[], EirCounts> Batches => new()
    {
        { "add once", [Mutation.Register(1)], new(1, 0, 0, 0) },
        { "add twice in a batch", [Mutation.Register(1), Mutation.Register(1)], new(1, 0, 0, 0) },
        { "add then remove", [Mutation.Register(1), Mutation.Unregister(1)], new(0, 0, 0, 0) },
        { "remove what is absent", [Mutation.Unregister(1), Mutation.ClearStolen(1), Mutation.Unbind(1, 2), Mutation.RemoveSubscriber(3)], new(0, 0, 0, 0) },
        { "stolen and registered", [Mutation.Register(1), Mutation.Stolen(1), Mutation.Stolen(1)], new(1, 0, 1, 0) },
        { "two records of one imei", [Mutation.Bind(1, 10), Mutation.Bind(1, 11, 99), Mutation.Bind(1, 10)], new(0, 2, 0, 0) },
        { "same number, other imsi", [Mutation.Bind(1, 10, 98), Mutation.Bind(1, 10, 99)], new(0, 2, 0, 0) },
        { "bind then unbind", [Mutation.Bind(1, 10), Mutation.Unbind(1, 10)], new(0, 0, 0, 0) },
        { "unbind other imsi", [Mutation.Bind(1, 10, 98), Mutation.Unbind(1, 10, 99)], new(0, 1, 0, 0) },
        { "subscriber set twice", [Mutation.Subscriber(5, 10), Mutation.Subscriber(5, 11)], new(0, 0, 0, 1) },
        { "subscriber set then removed", [Mutation.Subscriber(5, 10), Mutation.RemoveSubscriber(5)], new(0, 0, 0, 0) },
        { "null imei", [Mutation.Register(0), Mutation.Bind(0, 10), Mutation.Stolen(0)], new(1, 1, 1, 0) },
    };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Apply_OneBatch_CountsAreExact(string name, Mutation[] batch, EirCounts expected)
    {
        var index = NewIndex();

        var view = index.Apply(1, batch, At);

        Assert.True(expected == view.Counts, $"{name}: {view.Counts}");
    }

    [Fact]
    public void Apply_BatchTouchingTheSameKeyTwice_SeesItsOwnFirstChange()
    {
        var index = NewIndex();
        index.Apply(1, [Mutation.Register(1), Mutation.Bind(2, 10), Mutation.Subscriber(3, 10)], At);

        var view = index.Apply(2, [Mutation.Unregister(1), Mutation.Register(1), Mutation.Unbind(2, 10), Mutation.Bind(2, 11), Mutation.RemoveSubscriber(3), Mutation.Subscriber(3, 12)], At);

        Assert.True(view.IsRegistered(1));
        Assert.False(view.GetBindings(2).HasMsisdn(10));
        Assert.True(view.GetBindings(2).HasMsisdn(11));
        Assert.True(view.TryGetMsisdn(3, out var m) && m == 12);
        Assert.Equal(new EirCounts(1, 1, 0, 1), view.Counts);
    }

    [Fact]
    public void Apply_ManySmallBatchesWithTinyThresholds_FoldsCompactsAndKeepsEveryAnswer()
    {
        var index = NewIndex(Tiny);
        var registered = new HashSet<long>();
        long sequence = 0;

        // Keys at container borders, key 0 and large keys, added and then half removed.
        long[] keys = [0, 1, 65535, 65536, 65537, 131072, 99_999_999_999_999, 35_290_611_000_001, 35_290_611_000_002];
        foreach (var k in keys)
        {
            var view = index.Apply(++sequence, [Mutation.Register(k)], At);
            registered.Add(k);
            AssertRegistered(view, registered, keys);
        }

        foreach (var k in keys.Where((_, i) => i % 2 == 0))
        {
            var view = index.Apply(++sequence, [Mutation.Unregister(k), Mutation.Unregister(k)], At);
            registered.Remove(k);
            AssertRegistered(view, registered, keys);
        }

        Assert.True(index.Compactions >= 1, $"compactions {index.Compactions}");
        Assert.True(index.Current.OverlayEntries <= 8 + 2);
    }

    [Fact]
    public void Apply_OverlayOverCompactionMinimum_CompactsIntoANewSnapshot()
    {
        // Entries count versions: key 1 has two after v2 (a growth of the map keeps only the newest).
        var index = NewIndex(new IndexOptions { CompactionMinimumChanges = 7 });

        var v1 = index.Apply(1, [Mutation.Register(1), Mutation.Register(2), Mutation.Register(3), Mutation.Register(4)], At);
        Assert.Equal(4, v1.OverlayEntries);
        Assert.Equal(0, v1.Snapshot.Registered.Count);

        var v2 = index.Apply(2, [Mutation.Register(5), Mutation.Register(5), Mutation.Unregister(1)], At);
        Assert.Equal(6, v2.OverlayEntries);
        Assert.Equal(0, index.Compactions);

        var v3 = index.Apply(3, [Mutation.Register(6), Mutation.Register(7), Mutation.Register(1)], At);
        Assert.Equal(1, index.Compactions);
        Assert.Equal(0, v3.OverlayEntries);
        Assert.Equal(7, v3.Snapshot.Registered.Count);
        Assert.Equal(7, v3.Counts.RegisteredImeis);
        for (long k = 1; k <= 7; k++)
        {
            Assert.True(v3.IsRegistered(k));
        }
    }

    [Fact]
    public void Apply_LaterBatchesGrowthAndCompaction_AViewHeldMeanwhileKeepsAnsweringAtItsSequence()
    {
        var index = NewIndex(new IndexOptions { CompactionMinimumChanges = 5_000 });
        var held = index.Apply(1, [Mutation.Register(1), Mutation.Stolen(2), Mutation.Bind(3, 10, 20), Mutation.Subscriber(20, 10)], At);

        // Thousands of later changes to the same and other keys: the overlay's maps grow (moving their newest
        // entries to larger maps), then the index compacts; the held view must not see any of it.
        for (long s = 2; s <= 40; s++)
        {
            var batch = new List<Mutation> { Mutation.Unregister(1), Mutation.ClearStolen(2), Mutation.Unbind(3, 10, 20), Mutation.RemoveSubscriber(20) };
            for (var k = 0; k < 200; k++)
            {
                batch.Add(Mutation.Register((s * 1_000) + k));
            }

            batch.AddRange([Mutation.Register(1), Mutation.Stolen(2), Mutation.Bind(3, 10, 20), Mutation.Subscriber(20, 11)]);
            index.Apply(s, [.. batch], At);
        }

        Assert.True(index.Compactions >= 1);
        Assert.True(held.IsRegistered(1));
        Assert.False(held.IsRegistered(2_000));
        Assert.True(held.IsStolen(2));
        Assert.True(held.GetBindings(3).HasImsi(20));
        Assert.True(held.TryGetMsisdn(20, out var m) && m == 10);
        Assert.Equal(new EirCounts(1, 1, 1, 1), held.Counts);

        var now = index.Current;
        Assert.True(now.IsRegistered(2_000) && now.IsRegistered(40_199));
        Assert.True(now.TryGetMsisdn(20, out m) && m == 11);
        Assert.Equal(1 + (39 * 200), now.Counts.RegisteredImeis);
    }

    [Fact]
    public void Stage_TwoBatches_InvisibleUntilPublishedInOrder()
    {
        var index = NewIndex();
        index.Apply(1, [Mutation.Register(1)], At);
        var current = index.Current;

        var s2 = index.Stage(2, [Mutation.Register(2), Mutation.Unregister(1)], At);
        var s3 = index.Stage(3, [Mutation.Register(3)], At);

        Assert.Same(current, index.Current);
        Assert.Same(s3, index.Head);
        Assert.True(current.IsRegistered(1));
        Assert.False(current.IsRegistered(2) || current.IsRegistered(3));
        Assert.True(s3.IsRegistered(2) && s3.IsRegistered(3) && !s3.IsRegistered(1));
        Assert.Throws<InvalidOperationException>(() => index.Publish(s3));
        Assert.Throws<InvalidOperationException>(() => index.Apply(2, [Mutation.Register(9)], At));

        index.Publish(s2);
        Assert.Same(s2, index.Current);
        index.Publish(s3);
        Assert.Same(s3, index.Current);
        Assert.Equal(2, index.Current.Counts.RegisteredImeis);
    }

    [Fact]
    public void DiscardStaged_AfterGrowthAndCompaction_LeavesNothingBehind()
    {
        var index = NewIndex(new IndexOptions { CompactionMinimumChanges = 300 });
        index.Apply(1, [Mutation.Register(1), Mutation.Bind(5, 10, 20), Mutation.Subscriber(20, 10)], At);
        var current = index.Current;

        // Enough entries to grow every map and to compact inside the second staged batch.
        index.Stage(2, [.. Enumerable.Range(100, 200).Select(k => Mutation.Register(k)), Mutation.Unregister(1), Mutation.RemoveSubscriber(20)], At);
        index.Stage(3, [.. Enumerable.Range(1000, 200).Select(k => Mutation.Register(k)), Mutation.Unbind(5, 10, 20), Mutation.Stolen(7)], At);
        index.DiscardStaged();

        Assert.Same(current, index.Current);
        Assert.Same(current, index.Head);
        var again = index.Apply(2, [Mutation.Register(2)], At);
        Assert.True(again.IsRegistered(1) && again.IsRegistered(2));
        Assert.False(again.IsRegistered(100) || again.IsRegistered(1000));
        Assert.True(again.GetBindings(5).HasImsi(20));
        Assert.False(again.IsStolen(7));
        Assert.True(again.TryGetMsisdn(20, out var m) && m == 10);
        Assert.Equal(new EirCounts(2, 1, 0, 1), again.Counts);
        Assert.Equal(new EirCounts(2, 1, 0, 1), index.Compact().Counts);
        Assert.False(index.Current.IsRegistered(100));
    }

    [Fact]
    public void Compact_WithOverlays_FoldsEverythingAndKeepsAnswersAndCounts()
    {
        var index = NewIndex();
        index.Apply(1, [Mutation.Register(1), Mutation.Stolen(2), Mutation.Bind(3, 10, 20), Mutation.Subscriber(20, 10)], At);
        var before = index.Current;

        var after = index.Compact();

        Assert.Equal(0, after.OverlayEntries);
        Assert.Equal(before.Counts, after.Counts);
        Assert.Equal(before.Sequence, after.Sequence);
        Assert.True(after.IsRegistered(1));
        Assert.True(after.IsStolen(2));
        Assert.True(after.GetBindings(3).HasImsi(20));
        Assert.True(after.TryGetMsisdn(20, out var m) && m == 10);
        Assert.Same(after, index.Compact());   // nothing left to fold
    }

    [Fact]
    public void Compact_RemovalsOverASnapshot_DropTheKeys()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Build([1, 2, 3], [4], [(5, new BindingRecord(10, 0)), (5, new BindingRecord(11, 0))], [(20, 10)]), 100);

        index.Apply(101, [Mutation.Unregister(2), Mutation.ClearStolen(4), Mutation.Unbind(5, 10), Mutation.RemoveSubscriber(20)], At);
        var view = index.Compact();

        Assert.Equal(new long[] { 1, 3 }, view.Snapshot.Registered.Keys());
        Assert.Equal(0, view.Snapshot.Stolen.Count);
        Assert.Equal([new BindingRecord(11, 0)], view.GetBindings(5).Records.ToArray());
        Assert.Equal(0, view.Snapshot.Subscribers.Count);
        Assert.Equal(new EirCounts(2, 1, 0, 0), view.Counts);
    }

    [Fact]
    public void Load_Snapshot_CountsAndAnswersComeFromIt()
    {
        var snapshot = EirSnapshot.Build(
            registered: [5, 1, 5, 3],
            stolen: [9],
            bindings: [(7, new BindingRecord(10, 0)), (7, new BindingRecord(10, 0)), (7, new BindingRecord(11, 21)), (8, new BindingRecord(12, 0))],
            subscribers: [(21, 11), (22, 12)]);
        var index = new EirIndex();

        index.Load(snapshot, 42, At);

        var view = index.Current;
        Assert.Equal(42, view.Sequence);
        Assert.Equal(At, view.LastAppliedAt);
        Assert.Equal(new EirCounts(3, 3, 1, 2), view.Counts);
        Assert.True(view.IsRegistered(3));
        Assert.False(view.IsRegistered(2));
        Assert.True(view.GetBindings(7).HasImsi(21));
        Assert.Equal(2, view.GetBindings(7).Count);
        Assert.Equal(43, index.Apply(43, [], At).Sequence);
    }

    [Fact]
    public void Build_RepeatedImsi_LastWriteWins()
    {
        // Many repeats, so the sort is not the (stable) insertion sort of tiny arrays.
        var subscribers = new List<(long, long)>();
        for (var round = 0; round < 50; round++)
        {
            for (long imsi = 1; imsi <= 40; imsi++)
            {
                subscribers.Add((imsi, (round * 1000) + imsi));
            }
        }

        var snapshot = EirSnapshot.Build([], [], [], subscribers);

        for (long imsi = 1; imsi <= 40; imsi++)
        {
            Assert.True(snapshot.Subscribers.TryGet(imsi, out var msisdn));
            Assert.Equal((49 * 1000) + imsi, msisdn);
        }
    }

    [Fact]
    public void GetBindings_ManyRecordsAcrossFoldsAndCompaction_UsesTheSortedImsiIndex()
    {
        var index = NewIndex(Tiny);
        long sequence = 0;
        const long clone = 35_000_003_000_001;
        for (var i = 0; i < 40; i++)
        {
            index.Apply(++sequence, [Mutation.Bind(clone, 996_700_000_000 + i, 1000 + (i * 16)), Mutation.Register(i)], At);
            var view = index.Current;
            var bindings = view.GetBindings(clone);
            Assert.Equal(i + 1, bindings.Count);
            Assert.True(bindings.HasImsi(1000 + (i * 16)));
            Assert.True(bindings.HasImsi(1000));
            Assert.False(bindings.HasImsi(1001));
            Assert.True(bindings.HasMsisdn(996_700_000_000 + i));
            Assert.False(bindings.HasMsisdn(996_700_000_000 + i + 1));
            Assert.Equal(i + 1, view.Counts.Bindings);
        }

        Assert.True(index.Compactions > 0);
        var compacted = index.Compact();
        Assert.True(compacted.GetBindings(clone).HasImsi(1000 + (39 * 16)));
        Assert.False(compacted.GetBindings(clone).HasImsi(0));
        Assert.False(compacted.GetBindings(clone).HasMsisdn(0));
    }

    [Fact]
    public void GetBindings_ImsiOnlyRecords_MatchByImsiNotByZeroMsisdn()
    {
        var index = NewIndex();
        var view = index.Apply(1, [Mutation.Bind(1, 0, 77), Mutation.Bind(1, 10, 0)], At);

        var bindings = view.GetBindings(1);
        Assert.True(bindings.HasImsi(77));
        Assert.False(bindings.HasImsi(0));
        Assert.False(bindings.HasMsisdn(0));
        Assert.True(bindings.HasMsisdn(10));
    }

    [Fact]
    public void TryGetMsisdn_SubscriberMovedAcrossLayers_GivesTheNewestNumber()
    {
        var index = NewIndex(Tiny);
        long sequence = 0;
        for (var i = 0; i < 30; i++)
        {
            var view = index.Apply(++sequence, [Mutation.Subscriber(500, 996_700_000_000 + i), Mutation.Register(i)], At);
            Assert.True(view.TryGetMsisdn(500, out var m));
            Assert.Equal(996_700_000_000 + i, m);
            Assert.Equal(1, view.Counts.Subscribers);
        }

        var removed = index.Apply(++sequence, [Mutation.RemoveSubscriber(500)], At);
        Assert.False(removed.TryGetMsisdn(500, out var none));
        Assert.Equal(0, none);
        Assert.Equal(0, removed.Counts.Subscribers);
    }

    [Fact]
    public void BindingList_WithAndWithout_KeepRecordsSortedAndDistinct()
    {
        var list = BindingList.None
            .With(new BindingRecord(30, 0))
            .With(new BindingRecord(10, 5))
            .With(new BindingRecord(10, 1))
            .With(new BindingRecord(20, 0));

        Assert.Same(list, list.With(new BindingRecord(20, 0)));
        Assert.Same(list, list.Without(new BindingRecord(99, 0)));
        Assert.Equal([new(10, 1), new(10, 5), new(20, 0), new(30, 0)], list.Records);
        Assert.Equal([new(10, 1), new(30, 0)], list.Without(new(10, 5)).Without(new(20, 0)).Records);
        Assert.Same(BindingList.None, BindingList.None.With(new(1, 0)).Without(new(1, 0)));
    }

    [Theory]
    [InlineData(15, false)]
    [InlineData(16, true)]
    [InlineData(17, true)]
    public void BindingList_AtThreshold_BuildsTheSortedImsiIndex(int records, bool indexed)
    {
        var list = BindingList.None;
        for (var i = 0; i < records; i++)
        {
            list = list.With(new BindingRecord(1000 - i, i % 3 == 0 ? 0 : 50 + (i % 5)));
        }

        Assert.Equal(indexed, list.SortedImsis is not null);
        if (list.SortedImsis is { } imsis)
        {
            Assert.Equal(list.Records.Where(r => r.Imsi != 0).Select(r => r.Imsi).Distinct().Order(), imsis);
        }
    }

    private static void AssertRegistered(EirView view, HashSet<long> model, long[] universe)
    {
        foreach (var k in universe)
        {
            Assert.Equal(model.Contains(k), view.IsRegistered(k));
        }

        Assert.Equal(model.Count, view.Counts.RegisteredImeis);
    }
}
