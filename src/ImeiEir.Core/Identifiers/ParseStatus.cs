namespace ImeiEir.Core.Identifiers;

/// <summary>Why an identifier was refused. <see cref="ParseStatusText.Describe"/> gives the text.</summary>
public enum ParseStatus : byte
{
    Ok = 0,
    Empty,
    NotDigits,
    WrongLength,
    BadCheckDigit,
    UnsupportedPeiType,
    LeadingZero,
    TooShort,
    TooLong,
    /// <summary>An IMEISV where only an IMEI is accepted (registration).</summary>
    ImeiSvNotAccepted,
}

/// <summary>Fixed texts for <see cref="ParseStatus"/>: no allocation on the failure path either.</summary>
public static class ParseStatusText
{
    /// <summary>What is wrong with an IMEI input.</summary>
    public static string DescribeImei(ParseStatus status) => status switch
    {
        ParseStatus.Empty => "is empty",
        ParseStatus.NotDigits => "must be digits (14, 15 or 16), or imei-<15 digits> / imeisv-<16 digits>",
        ParseStatus.WrongLength => "must have 14, 15 (IMEI) or 16 (IMEISV) digits",
        ParseStatus.BadCheckDigit => "has a wrong check digit (Luhn)",
        ParseStatus.UnsupportedPeiType => "is a PEI type other than imei-/imeisv- (for example mac- or eui-), which is not supported",
        ParseStatus.ImeiSvNotAccepted => "is an IMEISV (16 digits): register the IMEI, 14 digits or 15 with its check digit",
        _ => "is not a valid IMEI",
    };

    /// <summary>What is wrong with an MSISDN input.</summary>
    public static string DescribeMsisdn(ParseStatus status) => status switch
    {
        ParseStatus.Empty => "is empty",
        ParseStatus.NotDigits => "must be E.164 digits, optionally with + or msisdn- in front",
        ParseStatus.WrongLength => "must be the 9-digit national form or 10 to 15 international digits",
        ParseStatus.LeadingZero => "must not start with 0 (E.164 country codes never do)",
        _ => "is not a valid MSISDN",
    };

    /// <summary>What is wrong with an IMSI input.</summary>
    public static string DescribeImsi(ParseStatus status) => status switch
    {
        ParseStatus.Empty => "is empty",
        ParseStatus.NotDigits => "must be digits, optionally with imsi- in front",
        ParseStatus.WrongLength or ParseStatus.TooShort or ParseStatus.TooLong => "must have 5 to 15 digits (TS 29.571)",
        _ => "is not a valid IMSI",
    };
}
