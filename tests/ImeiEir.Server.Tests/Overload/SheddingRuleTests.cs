using ImeiEir.Server.Overload;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>The shedding rule on explicit (time, delay) samples: target 5, interval 100 (any unit).</summary>
public sealed class SheddingRuleTests
{
    private const long Target = 5;
    private const long Interval = 100;

    public static TheoryData<string, (long Time, long Delay)[], bool[]> Cases => new()
    {
        { "idle", [(0, 0), (50, 1), (200, 5)], [false, false, false] },
        { "burst shorter than the interval", [(0, 50), (60, 80), (99, 90), (120, 2)], [false, false, false, false] },
        { "above the target for a whole interval", [(0, 20), (50, 30), (100, 40)], [false, false, true] },
        { "past the interval at once", [(0, 101)], [true] },
        {
            "standing: shed whenever above the target, at once",
            [(0, 200), (10, 4), (20, 6), (30, 3), (40, 50)],
            [true, false, true, false, true]
        },
        {
            "drained for a whole interval: bursts tolerated again",
            [(0, 200), (10, 2), (109, 3), (110, 1), (120, 50), (200, 60)],
            [true, false, false, false, false, false]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Update_Samples_ShedsAsCoDelWould(string scenario, (long Time, long Delay)[] samples, bool[] expected)
    {
        var rule = new SheddingRule(Target, Interval);

        var shed = samples.Select(s => rule.Update(s.Time, s.Delay)).ToArray();

        Assert.True(expected.SequenceEqual(shed), $"{scenario}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", shed)}]");
    }

    [Fact]
    public void Standing_AfterDrainingForAnInterval_False()
    {
        var rule = new SheddingRule(Target, Interval);
        rule.Update(0, 500);
        Assert.True(rule.Standing);

        rule.Update(10, 0);
        Assert.True(rule.Standing);
        rule.Update(110, 0);
        Assert.False(rule.Standing);
    }
}
