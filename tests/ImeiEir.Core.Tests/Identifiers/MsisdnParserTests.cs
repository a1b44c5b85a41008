using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Tests.Identifiers;

public class MsisdnParserTests
{
    [Theory]
    [InlineData("996700123456", 996700123456)]
    [InlineData("+996700123456", 996700123456)]
    [InlineData("msisdn-996700123456", 996700123456)]
    [InlineData("700123456", 996700123456)]             // home national form: 996 + 9 digits
    [InlineData("msisdn-700123456", 996700123456)]
    [InlineData("555000111", 996555000111)]
    [InlineData("999999999", 996999999999)]
    [InlineData("100000000", 996100000000)]
    [InlineData("79161234567", 79161234567)]             // Russia, 11 digits
    [InlineData("+79161234567", 79161234567)]
    [InlineData("1234567890", 1234567890)]               // 10 digits: shortest international form
    [InlineData("123456789012345", 123456789012345)]     // 15 digits: E.164 maximum
    [InlineData("+123456789012345", 123456789012345)]
    [InlineData("msisdn-123456789012345", 123456789012345)]
    public void TryParse_ValidForm_GivesFullE164Digits(string text, long expected)
    {
        Assert.Equal(ParseStatus.Ok, MsisdnParser.TryParse(text, Ids.HomeCountryCode, out var msisdn));
        Assert.Equal(expected, msisdn.Value);
    }

    [Theory]
    [InlineData("", ParseStatus.Empty)]
    [InlineData("+", ParseStatus.WrongLength)]
    [InlineData("msisdn-", ParseStatus.WrongLength)]
    [InlineData("1", ParseStatus.WrongLength)]
    [InlineData("12345678", ParseStatus.WrongLength)]            // 8 digits
    [InlineData("+700123456", ParseStatus.WrongLength)]          // + means international: 9 digits are too few
    [InlineData("1234567890123456", ParseStatus.WrongLength)]    // 16 digits: too long
    [InlineData("+1234567890123456", ParseStatus.WrongLength)]
    [InlineData("99670012345678901234", ParseStatus.WrongLength)]
    [InlineData("0996700123456", ParseStatus.LeadingZero)]
    [InlineData("00996700123456", ParseStatus.LeadingZero)]
    [InlineData("+0996700123456", ParseStatus.LeadingZero)]
    [InlineData("070012345", ParseStatus.LeadingZero)]           // national form starting with 0
    [InlineData("0700123456", ParseStatus.LeadingZero)]          // trunk prefix 0 + national number
    [InlineData("996-700-123456", ParseStatus.NotDigits)]
    [InlineData("996 700 123456", ParseStatus.NotDigits)]
    [InlineData("99670012345a", ParseStatus.NotDigits)]
    [InlineData("abcdefghijklmnopq", ParseStatus.NotDigits)]     // long and not digits
    [InlineData("++996700123456", ParseStatus.NotDigits)]
    [InlineData("tel:+996700123456", ParseStatus.NotDigits)]
    [InlineData("MSISDN-996700123456", ParseStatus.NotDigits)]
    [InlineData("msisdn-+996700123456", ParseStatus.NotDigits)]
    public void TryParse_BadInput_RefusedWithReason(string text, ParseStatus expected)
    {
        Assert.Equal(expected, MsisdnParser.TryParse(text, Ids.HomeCountryCode, out var msisdn));
        Assert.Equal(default, msisdn);
    }

    [Theory]
    [InlineData("700123456", 7, 7700123456)]
    [InlineData("700123456", 44, 44700123456)]
    public void TryParse_NationalForm_UsesTheConfiguredCountryCode(string text, int countryCode, long expected)
    {
        Assert.Equal(ParseStatus.Ok, MsisdnParser.TryParse(text, countryCode, out var msisdn));
        Assert.Equal(expected, msisdn.Value);
    }

    [Theory]
    [InlineData(996700123456, 996, true)]
    [InlineData(996700123456, 99, true)]
    [InlineData(996700123456, 7, false)]
    [InlineData(79161234567, 7, true)]
    [InlineData(79161234567, 996, false)]
    [InlineData(99612345, 996, true)]
    [InlineData(996, 996, false)]                 // the code alone is no number
    [InlineData(9961234567, 996, true)]
    [InlineData(1996700123456, 996, false)]
    public void HasCountryCode_Number_MatchesItsLeadingDigits(long value, int countryCode, bool expected)
        => Assert.Equal(expected, new Msisdn(value).HasCountryCode(countryCode));

    [Theory]
    [InlineData(996700123456, 12, "996700123456", "996*****3456")]
    [InlineData(79161234567, 11, "79161234567", "791****4567")]
    [InlineData(1234567, 7, "1234567", "*******")]
    public void Msisdn_Value_GivesLengthTextAndMask(long value, int length, string text, string masked)
    {
        var msisdn = new Msisdn(value);

        Assert.Equal(length, msisdn.Length);
        Assert.Equal(text, msisdn.ToString());
        Assert.Equal(masked, msisdn.ToMasked());
    }
}
