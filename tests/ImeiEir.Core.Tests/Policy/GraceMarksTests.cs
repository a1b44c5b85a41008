using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Tests.Policy;

public class GraceMarksTests
{
    private static readonly SubscriberKey NumberA = SubscriberKey.FromMsisdn(996700200002);
    private static readonly SubscriberKey NumberB = SubscriberKey.FromMsisdn(996700300003);

    [Fact]
    public void FirstSeen_SecondCall_KeepsTheFirstTime()
    {
        var marks = new InMemoryGraceMarks();

        Assert.Equal(100, marks.FirstSeen(1, NumberA, 100));
        Assert.Equal(100, marks.FirstSeen(1, NumberA, 500));
        Assert.Equal(500, marks.FirstSeen(2, NumberA, 500));
        Assert.Equal(600, marks.FirstSeen(1, NumberB, 600));
        Assert.Equal(3, marks.Count);
    }

    [Fact]
    public void FirstSeen_ManyThreadsAtOnce_AllAgreeOnOneTime()
    {
        var marks = new InMemoryGraceMarks();
        var seen = new long[8];

        Parallel.For(0, seen.Length, i => seen[i] = marks.FirstSeen(1, NumberA, 1000 + i));

        Assert.Single(seen.Distinct());
        Assert.True(marks.TryGet(1, NumberA, out var kept));
        Assert.Equal(seen[0], kept);
    }

    [Fact]
    public void ImeisSeenWith_Subscriber_ListsItsImeisSinceTheTimeSorted()
    {
        var marks = new InMemoryGraceMarks();
        marks.FirstSeen(30, NumberA, 300);
        marks.FirstSeen(10, NumberA, 100);
        marks.FirstSeen(20, NumberA, 200);
        marks.FirstSeen(40, NumberB, 300);

        Assert.Equal([10, 20, 30], marks.ImeisSeenWith(NumberA, 100));
        Assert.Equal([20, 30], marks.ImeisSeenWith(NumberA, 101));
        Assert.Equal([40], marks.ImeisSeenWith(NumberB, 0));
        Assert.Empty(marks.ImeisSeenWith(SubscriberKey.FromImsi(996700200002), 0));
    }

    [Fact]
    public void RemoveAndPrune_Marks_ForgetTheRightOnes()
    {
        var marks = new InMemoryGraceMarks();
        marks.FirstSeen(1, NumberA, 100);
        marks.FirstSeen(2, NumberA, 200);
        marks.FirstSeen(3, NumberB, 300);

        marks.Remove(1, NumberA);
        Assert.False(marks.TryGet(1, NumberA, out _));
        Assert.Equal(1, marks.Prune(olderThanTicks: 300));
        Assert.Equal([(3L, NumberB, 300L)], marks.All());
    }
}
