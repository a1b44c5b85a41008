using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Tests.Identifiers;

public class ImsiParserTests
{
    [Theory]
    [InlineData("437010123456789", 15, 437, "437010123456789")]
    [InlineData("imsi-437010123456789", 15, 437, "437010123456789")]
    [InlineData("437051234567", 12, 437, "437051234567")]
    [InlineData("250011234567890", 15, 250, "250011234567890")]
    [InlineData("310150123456789", 15, 310, "310150123456789")]
    [InlineData("43701", 5, 437, "43701")]                           // 5 digits: the TS 29.571 minimum
    [InlineData("imsi-43701", 5, 437, "43701")]
    [InlineData("001010123456789", 15, 1, "001010123456789")]        // test network MCC 001: leading zeros kept
    [InlineData("imsi-001010000000001", 15, 1, "001010000000001")]
    [InlineData("00101", 5, 1, "00101")]
    [InlineData("000000000000000", 15, 0, "000000000000000")]
    [InlineData("999999999999999", 15, 999, "999999999999999")]
    [InlineData("012345678901234", 15, 12, "012345678901234")]
    public void TryParse_ValidForm_KeepsDigitsLengthAndMcc(string text, int length, int mcc, string canonical)
    {
        Assert.Equal(ParseStatus.Ok, ImsiParser.TryParse(text, out var imsi));

        Assert.Equal(length, imsi.Length);
        Assert.Equal(mcc, imsi.Mcc);
        Assert.Equal(canonical, imsi.ToString());
        Assert.NotEqual(0, imsi.Key);   // 0 means "absent" in CheckInput
    }

    [Theory]
    [InlineData("", ParseStatus.Empty)]
    [InlineData("imsi-", ParseStatus.TooShort)]
    [InlineData("4370", ParseStatus.TooShort)]                       // 4 digits
    [InlineData("imsi-4370", ParseStatus.TooShort)]
    [InlineData("1", ParseStatus.TooShort)]
    [InlineData("4370101234567890", ParseStatus.TooLong)]            // 16 digits
    [InlineData("imsi-4370101234567890", ParseStatus.TooLong)]
    [InlineData("43701012345678901234567890", ParseStatus.TooLong)]  // far too long: no overflow either
    [InlineData("43701012345678a", ParseStatus.NotDigits)]
    [InlineData("437-01-0123456789", ParseStatus.NotDigits)]
    [InlineData("IMSI-437010123456789", ParseStatus.NotDigits)]
    [InlineData("imsi-imsi-437010123456789", ParseStatus.NotDigits)]
    [InlineData("nai-user@realm", ParseStatus.NotDigits)]
    [InlineData(" 437010123456789", ParseStatus.NotDigits)]
    public void TryParse_BadInput_RefusedWithReason(string text, ParseStatus expected)
    {
        Assert.Equal(expected, ImsiParser.TryParse(text, out var imsi));
        Assert.Equal(default, imsi);
    }

    [Theory]
    [InlineData("00101", "001010")]
    [InlineData("001010", "0010100")]
    [InlineData("43701", "437010")]
    [InlineData("00100", "001000")]
    public void Key_SameDigitsDifferentLength_AreDifferentSubscribers(string a, string b)
    {
        ImsiParser.TryParse(a, out var x);
        ImsiParser.TryParse(b, out var y);

        Assert.NotEqual(x.Key, y.Key);
    }

    [Theory]
    [InlineData("001010000000001", "00101**********")]
    [InlineData("437051234567", "43705*******")]
    [InlineData("43709", "43709")]
    public void ToMasked_Imsi_KeepsMccMncOnly(string text, string masked)
    {
        ImsiParser.TryParse(text, out var imsi);

        Assert.Equal(masked, imsi.ToMasked());
    }

    [Fact]
    public void FromDigits_RoundTrip_EqualsParsedKey()
    {
        ImsiParser.TryParse("001010123456789", out var parsed);

        Assert.Equal(parsed, Imsi.FromDigits(1010123456789, 15));
        Assert.Equal(1010123456789, parsed.Digits);
    }
}
