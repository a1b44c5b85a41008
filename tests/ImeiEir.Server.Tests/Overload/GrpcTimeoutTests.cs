using System.Diagnostics;
using ImeiEir.Server.Overload;

namespace ImeiEir.Server.Tests.Overload;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1S", 1.0)]
    [InlineData("250m", 0.25)]
    [InlineData("1500u", 0.0015)]
    [InlineData("2000000n", 0.002)]
    [InlineData("2M", 120.0)]
    [InlineData("3599999m", 3_599.999)]
    public void TryParse_Valid_TicksOfThatDuration(string header, double seconds)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var ticks));
        Assert.Equal(seconds, (double)ticks / Stopwatch.Frequency, 6);
    }

    [Theory]
    [InlineData("1H")]
    [InlineData("99999999H")]
    [InlineData("60M")]
    public void TryParse_AnHourOrMore_MaxValue(string header)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var ticks));
        Assert.Equal(long.MaxValue, ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("1.5S")]
    [InlineData("-1S")]
    [InlineData("123456789S")]
    public void TryParse_Malformed_False(string header) => Assert.False(GrpcTimeout.TryParse(header, out _));
}
