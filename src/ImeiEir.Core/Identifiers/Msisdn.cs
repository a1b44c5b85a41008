namespace ImeiEir.Core.Identifiers;

/// <summary>A subscriber number as its full E.164 digits (country code first), e.g. 996700123456.</summary>
public readonly record struct Msisdn(long Value)
{
    /// <summary>Number of digits (E.164 numbers never start with 0, so the value keeps them all).</summary>
    public int Length => DigitCount(Value);

    /// <summary>Whether the number starts with the given country code (e.g. 996).</summary>
    public bool HasCountryCode(int countryCode)
    {
        var ccDigits = DigitCount(countryCode);
        var length = Length;
        if (length <= ccDigits)
        {
            return false;
        }

        return Value / Pow10[length - ccDigits] == countryCode;
    }

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>First 3 and last 4 digits kept: <c>996*****3456</c>.</summary>
    public string ToMasked()
    {
        var s = ToString();
        return s.Length <= 7 ? new string('*', s.Length) : string.Concat(s.AsSpan(0, 3), new string('*', s.Length - 7), s.AsSpan(s.Length - 4));
    }

    internal static int DigitCount(long v)
    {
        var n = 1;
        while (v >= 10)
        {
            v /= 10;
            n++;
        }

        return n;
    }

    internal static readonly long[] Pow10 =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
    ];
}

/// <summary>Allocation-free MSISDN parsing.</summary>
public static class MsisdnParser
{
    /// <summary>Digits of the home national significant number (Kyrgyzstan: 9).</summary>
    public const int HomeNationalLength = 9;

    /// <summary>
    /// Parses <c>996700123456</c>, <c>+996700123456</c>, <c>msisdn-996700123456</c>, or the 9-digit national
    /// form <c>700123456</c> (meaning home country code + it). International form: 10 to 15 digits.
    /// </summary>
    public static ParseStatus TryParse(ReadOnlySpan<char> text, int homeCountryCode, out Msisdn msisdn)
    {
        msisdn = default;
        if (text.IsEmpty)
        {
            return ParseStatus.Empty;
        }

        var nationalAllowed = true;
        if (text[0] == '+')
        {
            text = text[1..];
            nationalAllowed = false;
        }
        else if (text.StartsWith("msisdn-"))
        {
            text = text[7..];
        }

        if (text.IsEmpty)
        {
            return ParseStatus.WrongLength;
        }

        if (text.Length > 15)
        {
            foreach (var c in text)
            {
                if (c is < '0' or > '9')
                {
                    return ParseStatus.NotDigits;
                }
            }

            return ParseStatus.WrongLength;
        }

        long value = 0;
        foreach (var c in text)
        {
            var d = c - '0';
            if ((uint)d > 9)
            {
                return ParseStatus.NotDigits;
            }

            value = (value * 10) + d;
        }

        if (text[0] == '0')
        {
            return ParseStatus.LeadingZero;
        }

        if (text.Length == HomeNationalLength && nationalAllowed)
        {
            value += homeCountryCode * Msisdn.Pow10[HomeNationalLength];
        }
        else if (text.Length < 10)
        {
            return ParseStatus.WrongLength;
        }

        msisdn = new Msisdn(value);
        return ParseStatus.Ok;
    }
}
