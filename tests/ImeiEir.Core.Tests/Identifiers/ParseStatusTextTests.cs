using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Tests.Identifiers;

/// <summary>Every refusal a parser can give has its own text saying why (the caller puts the field name in front).</summary>
public class ParseStatusTextTests
{
    public static TheoryData<ParseStatus, string> ImeiTexts => new()
    {
        { ParseStatus.Empty, "empty" },
        { ParseStatus.NotDigits, "digits" },
        { ParseStatus.WrongLength, "14, 15" },
        { ParseStatus.BadCheckDigit, "check digit" },
        { ParseStatus.UnsupportedPeiType, "mac-" },
        { ParseStatus.ImeiSvNotAccepted, "IMEISV" },
    };

    [Theory]
    [MemberData(nameof(ImeiTexts))]
    public void DescribeImei_EveryImeiRefusal_SaysWhy(ParseStatus status, string says)
    {
        var text = ParseStatusText.DescribeImei(status);

        Assert.Contains(says, text, StringComparison.Ordinal);
        Assert.NotEqual(ParseStatusText.DescribeImei(ParseStatus.Ok), text);
    }

    public static TheoryData<ParseStatus, string> MsisdnTexts => new()
    {
        { ParseStatus.Empty, "empty" },
        { ParseStatus.NotDigits, "E.164 digits" },
        { ParseStatus.WrongLength, "9-digit national form or 10 to 15" },
        { ParseStatus.LeadingZero, "must not start with 0" },
    };

    [Theory]
    [MemberData(nameof(MsisdnTexts))]
    public void DescribeMsisdn_EveryMsisdnRefusal_SaysWhy(ParseStatus status, string says)
    {
        var text = ParseStatusText.DescribeMsisdn(status);

        Assert.Contains(says, text, StringComparison.Ordinal);
        Assert.NotEqual(ParseStatusText.DescribeMsisdn(ParseStatus.Ok), text);
    }

    public static TheoryData<ParseStatus, string> ImsiTexts => new()
    {
        { ParseStatus.Empty, "empty" },
        { ParseStatus.NotDigits, "digits" },
        { ParseStatus.TooShort, "5 to 15 digits" },
        { ParseStatus.TooLong, "5 to 15 digits" },
        { ParseStatus.WrongLength, "5 to 15 digits" },
    };

    [Theory]
    [MemberData(nameof(ImsiTexts))]
    public void DescribeImsi_EveryImsiRefusal_SaysWhy(ParseStatus status, string says)
    {
        var text = ParseStatusText.DescribeImsi(status);

        Assert.Contains(says, text, StringComparison.Ordinal);
        Assert.NotEqual(ParseStatusText.DescribeImsi(ParseStatus.Ok), text);
    }

    [Fact]
    public void DescribeImei_ImeiSvRefusedByRegistration_DoesNotClaimSixteenDigitsAreFine()
    {
        var status = ImeiParser.TryParseForRegistration("4901542032375107", out _);

        Assert.DoesNotContain("or 16", ParseStatusText.DescribeImei(status), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_SameStatus_ReturnsTheSameInstance()
    {
        // Fixed texts: the failure path must not allocate.
        Assert.Same(ParseStatusText.DescribeImei(ParseStatus.WrongLength), ParseStatusText.DescribeImei(ParseStatus.WrongLength));
        Assert.Same(ParseStatusText.DescribeMsisdn(ParseStatus.LeadingZero), ParseStatusText.DescribeMsisdn(ParseStatus.LeadingZero));
        Assert.Same(ParseStatusText.DescribeImsi(ParseStatus.TooLong), ParseStatusText.DescribeImsi(ParseStatus.TooLong));
    }
}
