using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Tests.Identifiers;

public class ImeiParserTests
{
    public static TheoryData<string, long, ImeiForm, bool, bool, int> NetworkForms => new()
    {
        // text, key, form, check digit present, check digit valid, software version
        { "49015420323751", 49015420323751, ImeiForm.Digits14, false, false, -1 },
        { "490154203237518", 49015420323751, ImeiForm.Digits15, true, true, -1 },
        { "490154203237519", 49015420323751, ImeiForm.Digits15, true, false, -1 },
        { "490154203237510", 49015420323751, ImeiForm.Digits15, true, false, -1 },
        { "4901542032375107", 49015420323751, ImeiForm.ImeiSv16, false, false, 7 },
        { "4901542032375199", 49015420323751, ImeiForm.ImeiSv16, false, false, 99 },
        { "imei-490154203237518", 49015420323751, ImeiForm.Digits15, true, true, -1 },
        { "imei-490154203237519", 49015420323751, ImeiForm.Digits15, true, false, -1 },
        { "imei-49015420323751", 49015420323751, ImeiForm.Digits14, false, false, -1 },
        { "imeisv-4901542032375100", 49015420323751, ImeiForm.ImeiSv16, false, false, 0 },
        { "imeisv-4901542032375142", 49015420323751, ImeiForm.ImeiSv16, false, false, 42 },
        { "356938035643809", 35693803564380, ImeiForm.Digits15, true, true, -1 },
        { "352099001761481", 35209900176148, ImeiForm.Digits15, true, true, -1 },
        // The null IMEI is an ordinary key (amnesty bound it to many numbers), in every form.
        { "00000000000000", 0, ImeiForm.Digits14, false, false, -1 },
        { "000000000000000", 0, ImeiForm.Digits15, true, true, -1 },
        { "0000000000000000", 0, ImeiForm.ImeiSv16, false, false, 0 },
        { "imei-000000000000000", 0, ImeiForm.Digits15, true, true, -1 },
        // Leading zeros in the TAC survive: the key is the number, the text form pads to 14.
        { "00000001000001", 1000001, ImeiForm.Digits14, false, false, -1 },
        { "99999999999999", 99999999999999, ImeiForm.Digits14, false, false, -1 },
        { "9999999999999999", 99999999999999, ImeiForm.ImeiSv16, false, false, 99 },
    };

    [Theory]
    [MemberData(nameof(NetworkForms))]
    public void TryParse_NetworkForm_ParsesKeyFormAndCheckDigit(string text, long key, ImeiForm form, bool checkPresent, bool checkValid, int svn)
    {
        var status = ImeiParser.TryParse(text, out var imei);

        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(new ParsedImei(new ImeiKey(key), form, checkPresent, checkValid, svn), imei);
    }

    [Theory]
    [InlineData("", ParseStatus.Empty)]
    [InlineData("4901542032375", ParseStatus.WrongLength)]          // 13 digits
    [InlineData("1", ParseStatus.WrongLength)]
    [InlineData("49015420323751800", ParseStatus.WrongLength)]      // 17 digits
    [InlineData("490154203237518000000", ParseStatus.WrongLength)]
    [InlineData("4901542032375a8", ParseStatus.NotDigits)]
    [InlineData("4901542032375180x", ParseStatus.NotDigits)]        // 17 characters, not all digits
    [InlineData("49015420-323751-8", ParseStatus.NotDigits)]
    [InlineData("abcdefghijklmn", ParseStatus.NotDigits)]
    [InlineData(" 49015420323751", ParseStatus.NotDigits)]
    [InlineData("49015420323751 ", ParseStatus.NotDigits)]
    [InlineData("+49015420323751", ParseStatus.NotDigits)]
    [InlineData("-49015420323751", ParseStatus.NotDigits)]
    [InlineData("４９０１５４２０３２３７５１", ParseStatus.NotDigits)]   // full-width digits are not ASCII digits
    [InlineData("IMEI-490154203237518", ParseStatus.NotDigits)]     // the 5G prefixes are lower case
    [InlineData("imei:490154203237518", ParseStatus.NotDigits)]
    [InlineData("imei-", ParseStatus.WrongLength)]
    [InlineData("imeisv-", ParseStatus.WrongLength)]
    [InlineData("imei-4901542032375107", ParseStatus.WrongLength)]  // imei- carries 14/15 digits, not 16
    [InlineData("imei-4901542032375", ParseStatus.WrongLength)]
    [InlineData("imeisv-490154203237518", ParseStatus.WrongLength)] // imeisv- carries exactly 16 digits
    [InlineData("imeisv-49015420323751", ParseStatus.WrongLength)]
    [InlineData("imeisv-49015420323751070", ParseStatus.WrongLength)]
    [InlineData("imei-49015420323751x", ParseStatus.NotDigits)]
    [InlineData("imeisv-490154203237510x", ParseStatus.NotDigits)]
    [InlineData("mac-00-11-22-33-44-55", ParseStatus.UnsupportedPeiType)]
    [InlineData("mac-001122334455", ParseStatus.UnsupportedPeiType)]
    [InlineData("eui-0011223344556677", ParseStatus.UnsupportedPeiType)]
    public void TryParse_BadInput_RefusedWithReason(string text, ParseStatus expected)
    {
        var status = ImeiParser.TryParse(text, out var imei);

        Assert.Equal(expected, status);
        Assert.Equal(default, imei);
    }

    [Theory]
    [InlineData("49015420323751", 49015420323751)]
    [InlineData("490154203237518", 49015420323751)]
    [InlineData("imei-490154203237518", 49015420323751)]
    [InlineData("00000000000000", 0)]
    [InlineData("000000000000000", 0)]
    public void TryParseForRegistration_ValidImei_Accepted(string text, long key)
    {
        Assert.Equal(ParseStatus.Ok, ImeiParser.TryParseForRegistration(text, out var parsed));
        Assert.Equal(key, parsed.Value);
    }

    [Theory]
    [InlineData("490154203237519", ParseStatus.BadCheckDigit)]
    [InlineData("490154203237510", ParseStatus.BadCheckDigit)]
    [InlineData("imei-490154203237517", ParseStatus.BadCheckDigit)]
    [InlineData("000000000000001", ParseStatus.BadCheckDigit)]
    [InlineData("4901542032375107", ParseStatus.ImeiSvNotAccepted)]  // IMEISV: a device is registered by IMEI
    [InlineData("imeisv-4901542032375107", ParseStatus.ImeiSvNotAccepted)]
    [InlineData("", ParseStatus.Empty)]
    [InlineData("4901542032375", ParseStatus.WrongLength)]
    [InlineData("49015420323751x", ParseStatus.NotDigits)]
    [InlineData("mac-001122334455", ParseStatus.UnsupportedPeiType)]
    public void TryParseForRegistration_WrongCheckDigitOrImeiSv_Refused(string text, ParseStatus expected)
    {
        Assert.Equal(expected, ImeiParser.TryParseForRegistration(text, out var key));
        Assert.Equal(default, key);
    }

    public static TheoryData<long> Keys => new()
    {
        0, 1, 49015420323751, 35693803564380, 35209900176148, 86123456789012, 99999999999999, 10000000000000, 12345678901234,
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void LuhnCheckDigit_AnyKey_OnlyThatDigitMakesTheFifteenDigitsValid(long key)
    {
        var check = ImeiParser.LuhnCheckDigit(key);
        var text14 = key.ToString("D14", System.Globalization.CultureInfo.InvariantCulture);

        for (var d = 0; d <= 9; d++)
        {
            var text15 = text14 + (char)('0' + d);
            Assert.Equal(d == check, Ids.LuhnValid(text15));
            Assert.Equal(ParseStatus.Ok, ImeiParser.TryParse(text15, out var parsed));
            Assert.Equal(d == check, parsed.CheckDigitValid);
            Assert.Equal(key, parsed.Key.Value);
        }
    }

    [Fact]
    public void LuhnCheckDigit_ManyRandomKeys_AgreesWithIndependentLuhn()
    {
        var random = new Random(2024);
        for (var i = 0; i < 2000; i++)
        {
            var key = random.NextInt64(ImeiKey.Limit);
            var text = new ImeiKey(key).ToString15();
            Assert.True(Ids.LuhnValid(text), text);
        }
    }

    [Fact]
    public void ImeiKey_KnownImei_ExposesTacCheckDigitAndTextForms()
    {
        var key = new ImeiKey(49015420323751);

        Assert.Equal(49015420, key.Tac);
        Assert.Equal(8, key.CheckDigit);
        Assert.Equal("49015420323751", key.ToString());
        Assert.Equal("490154203237518", key.ToString15());
        Assert.Equal("49015420****51", key.ToMasked());
    }

    [Fact]
    public void ImeiKey_NullImei_PadsToFourteenZeros()
    {
        var key = new ImeiKey(0);

        Assert.Equal(0, key.Tac);
        Assert.Equal("00000000000000", key.ToString());
        Assert.Equal("000000000000000", key.ToString15());
        Assert.Equal("00000000****00", key.ToMasked());
    }

    [Fact]
    public void ImeiKey_LeadingZeroTac_RoundTripsThroughText()
    {
        Assert.Equal(ParseStatus.Ok, ImeiParser.TryParse("01234567123456", out var parsed));

        Assert.Equal(1234567, parsed.Key.Tac);
        Assert.Equal("01234567123456", parsed.Key.ToString());
        Assert.Equal(ParseStatus.Ok, ImeiParser.TryParseForRegistration(parsed.Key.ToString15(), out var again));
        Assert.Equal(parsed.Key, again);
    }
}
