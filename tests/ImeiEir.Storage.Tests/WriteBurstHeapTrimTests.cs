using ImeiEir.Core.Index;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="WriteBurstHeapTrim.BurstEnded"/>: a burst is over once the sequence stayed put for
/// <c>HeapTrim:AfterQuiet</c> after it changed; once per burst, never for the start's sequence, and not again within
/// <see cref="WriteBurstHeapTrim.MinimumSpacing"/> of a trim.
/// </summary>
public sealed class WriteBurstHeapTrimTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);

    private static WriteBurstHeapTrim NewTrim() =>
        new(new EirIndex(), new HeapTrimOptions { AfterQuiet = Quiet }, NullLogger<WriteBurstHeapTrim>.Instance);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void BurstEnded_StartSequenceOnly_NeverEnds()
    {
        var trim = NewTrim();
        Assert.False(trim.BurstEnded(7, At(0)));
        Assert.False(trim.BurstEnded(7, At(10)));
        Assert.False(trim.BurstEnded(7, At(100)));
    }

    [Fact]
    public void BurstEnded_StartLoadEnded_EndsOnceAfterTheQuietPeriodFromIt()
    {
        // The device directory is put in place after the index serves: the start's sequence, then its load's end.
        var trim = NewTrim();
        Assert.False(trim.BurstEnded(7, At(0)));
        trim.StartLoadEnded(At(2));
        Assert.False(trim.BurstEnded(7, At(6.9)));
        Assert.True(trim.BurstEnded(7, At(7)));
        Assert.False(trim.BurstEnded(7, At(100)));
    }

    [Fact]
    public void BurstEnded_QuietAfterChanges_EndsOnceAfterTheQuietPeriod()
    {
        var trim = NewTrim();
        trim.BurstEnded(7, At(0));
        Assert.False(trim.BurstEnded(8, At(1)));
        Assert.False(trim.BurstEnded(9, At(2)));
        Assert.False(trim.BurstEnded(9, At(6.9)));
        Assert.True(trim.BurstEnded(9, At(7)));
        Assert.False(trim.BurstEnded(9, At(8)));
        Assert.False(trim.BurstEnded(9, At(60)));
    }

    [Fact]
    public void BurstEnded_ChangeDuringQuietPeriod_RestartsIt()
    {
        var trim = NewTrim();
        trim.BurstEnded(0, At(0));
        trim.BurstEnded(1, At(1));
        Assert.False(trim.BurstEnded(2, At(5)));
        Assert.False(trim.BurstEnded(2, At(9)));
        Assert.True(trim.BurstEnded(2, At(10)));
    }

    [Fact]
    public void BurstEnded_NextBurstSoonAfterATrim_WaitsForTheSpacing()
    {
        var trim = NewTrim();
        trim.BurstEnded(0, At(0));
        trim.BurstEnded(1, At(1));
        Assert.True(trim.BurstEnded(1, At(6)));
        trim.Trimmed(At(6));

        trim.BurstEnded(2, At(10));
        Assert.False(trim.BurstEnded(2, At(20)));
        var spacingOver = At(6) + WriteBurstHeapTrim.MinimumSpacing;
        Assert.False(trim.BurstEnded(2, spacingOver - At(0.5)));
        Assert.True(trim.BurstEnded(2, spacingOver));
    }

    [Fact]
    public void BurstEnded_BurstWithoutTrim_DoesNotDelayTheNext()
    {
        var trim = NewTrim();
        trim.BurstEnded(0, At(0));
        trim.BurstEnded(1, At(1));
        Assert.True(trim.BurstEnded(1, At(6))); // too little to give back: no Trimmed

        trim.BurstEnded(2, At(8));
        Assert.True(trim.BurstEnded(2, At(13)));
    }

    [Theory]
    [InlineData(-1, 0, "HeapTrim:AfterQuiet")]
    [InlineData(5, -1, "HeapTrim:MinimumExcessBytes")]
    public void Validate_Negative_NamesTheSetting(int quietSeconds, long excess, string setting)
    {
        var options = new HeapTrimOptions { AfterQuiet = TimeSpan.FromSeconds(quietSeconds), MinimumExcessBytes = excess };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }
}
