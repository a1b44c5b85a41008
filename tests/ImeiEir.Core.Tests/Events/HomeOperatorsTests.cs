using ImeiEir.Core.Events;

namespace ImeiEir.Core.Tests.Events;

public sealed class HomeOperatorsTests
{
    private static readonly HomeOperators Operators = new(HomeOperators.DefaultThreeDigitMncCountries);

    [Theory]
    [InlineData("437010000000001", "437-01")]
    [InlineData("437090000000001", "437-09")]
    [InlineData("310410123456789", "310-410")] // North America: 3-digit MNCs
    [InlineData("25001123456", "250-01")]
    [InlineData("00101", "001-01")]            // test MCC, leading zeros kept
    public void Of_ImsiKey_MccDashMnc(string imsi, string expected) => Assert.Equal(expected, Operators.Of(Ids.Imsi(imsi)));

    [Fact]
    public void Of_NoImsi_Empty() => Assert.Equal("", Operators.Of(0));

    [Theory]
    [InlineData("437-01", true)]
    [InlineData("310-410", true)]
    [InlineData("", false)]
    [InlineData("43701", false)]
    [InlineData("437-1", false)]
    [InlineData("437-0001", false)]
    [InlineData("abc-01", false)]
    public void IsWellFormed_Text(string text, bool expected) => Assert.Equal(expected, HomeOperators.IsWellFormed(text));
}
