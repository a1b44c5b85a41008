using System.Globalization;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.Fuzz;

/// <summary>
/// <see cref="MsisdnParser"/> against the reference (<c>+</c> or <c>msisdn-</c>, then E.164 digits without a leading 0:
/// 10 to 15 international, or 9 national meaning the home country code in front, not after <c>+</c>).
/// </summary>
internal static class MsisdnTarget
{
    public const int HomeCountryCode = 996;

    public static void Run(ReadOnlySpan<byte> data) => Check(Input.Text(data));

    public static void Check(ReadOnlySpan<char> text)
    {
        var status = MsisdnParser.TryParse(text, HomeCountryCode, out var msisdn);
        Invariant.That(Enum.IsDefined(status), "msisdn: status is a defined ParseStatus");
        var expected = Reference(text, out var value, out var national);
        Invariant.That((status == ParseStatus.Ok) == expected, "msisdn: accepted exactly what the reference accepts");
        if (status != ParseStatus.Ok)
        {
            Invariant.That(msisdn == default && ParseStatusText.DescribeMsisdn(status).Length > 0, "msisdn: a refusal is default and has a text");
            return;
        }

        Invariant.That(msisdn.Value == value, "msisdn: value equals the reference's");
        var textForm = msisdn.ToString();
        Invariant.That(msisdn.Length == textForm.Length && textForm.Length is >= 10 and <= 15, "msisdn: 10 to 15 digits once parsed");
        Invariant.That(!national || msisdn.HasCountryCode(HomeCountryCode), "msisdn: a national number gets the home country code");
        var masked = msisdn.ToMasked();
        Invariant.That(masked.Length == textForm.Length && masked.AsSpan(3, masked.Length - 7).IndexOfAnyExcept('*') < 0
            && masked.AsSpan(^4).SequenceEqual(textForm.AsSpan(^4)), "msisdn: the masked form keeps the first 3 and last 4 digits only");
    }

    private static bool Reference(ReadOnlySpan<char> text, out long value, out bool national)
    {
        value = 0;
        national = false;
        var nationalAllowed = true;
        ReadOnlySpan<char> digits;
        if (text.StartsWith('+'))
        {
            digits = text[1..];
            nationalAllowed = false;
        }
        else
        {
            digits = text.StartsWith("msisdn-", StringComparison.Ordinal) ? text[7..] : text;
        }

        if (digits.IsEmpty || !ImeiTarget.AllAsciiDigits(digits) || digits[0] == '0')
        {
            return false;
        }

        if (digits.Length == MsisdnParser.HomeNationalLength && nationalAllowed)
        {
            national = true;
            value = long.Parse(string.Concat(HomeCountryCode.ToString(CultureInfo.InvariantCulture), digits), CultureInfo.InvariantCulture);
            return true;
        }

        if (digits.Length is < 10 or > 15)
        {
            return false;
        }

        value = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }
}
