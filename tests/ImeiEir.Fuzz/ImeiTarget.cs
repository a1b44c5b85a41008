using System.Globalization;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.Fuzz;

/// <summary>
/// <see cref="ImeiParser"/>: the network parse and the registry parse, against a plain reference reading of TS 23.003
/// / TS 29.571 (14, 15 or 16 digits; <c>imei-</c> + 14/15; <c>imeisv-</c> + 16), and the key's round trips.
/// </summary>
internal static class ImeiTarget
{
    public static void Run(ReadOnlySpan<byte> data) => Check(Input.Text(data));

    public static void Check(ReadOnlySpan<char> text)
    {
        var status = ImeiParser.TryParse(text, out var imei);
        Invariant.That(Enum.IsDefined(status), "imei: status is a defined ParseStatus");
        var expected = Reference(text, out var key, out var form, out var softwareVersion);
        Invariant.That((status == ParseStatus.Ok) == expected, "imei: accepted exactly what the reference accepts");

        var registration = ImeiParser.TryParseForRegistration(text, out var registered);
        if (status != ParseStatus.Ok)
        {
            Invariant.That(imei == default, "imei: a refused input leaves the result default");
            Invariant.That(ParseStatusText.DescribeImei(status).Length > 0, "imei: every refusal has a text");
            Invariant.That(registration == status && registered == default, "imei: registration refuses what the network parse refuses, for the same reason");
            return;
        }

        Invariant.That(imei.Key.Value == key && imei.Form == form, "imei: key and form equal the reference's");
        Invariant.That(imei.Key.Value is >= 0 and < ImeiKey.Limit, "imei: key below 10^14");
        Invariant.That(imei.SoftwareVersion == softwareVersion, "imei: software version only for IMEISV, 00-99");
        Invariant.That(imei.CheckDigitPresent == (form == ImeiForm.Digits15), "imei: check digit present exactly for 15 digits");
        if (form == ImeiForm.Digits15)
        {
            var given = text[^1] - '0';
            Invariant.That(imei.CheckDigitValid == (ReferenceLuhn(key) == given), "imei: check digit judged as Luhn says");
        }
        else
        {
            Invariant.That(!imei.CheckDigitValid, "imei: no check digit, not valid");
        }

        Invariant.That(imei.Key.CheckDigit == ReferenceLuhn(key), "imei: Luhn digit equals the reference");
        var digits14 = imei.Key.ToString();
        Invariant.That(digits14.Length == 14 && digits14.All(char.IsAsciiDigit), "imei: text form is 14 digits");
        Invariant.That(ImeiParser.TryParse(digits14, out var again) == ParseStatus.Ok && again.Key == imei.Key && again.Form == ImeiForm.Digits14,
            "imei: the 14-digit form parses back to the key");
        var digits15 = imei.Key.ToString15();
        Invariant.That(ImeiParser.TryParseForRegistration(digits15, out var again15) == ParseStatus.Ok && again15 == imei.Key,
            "imei: the 15-digit form carries a valid check digit and parses back");
        Invariant.That(imei.Key.Tac == (int)(key / 1_000_000), "imei: TAC is the first 8 digits");
        var masked = imei.Key.ToMasked();
        Invariant.That(masked.Length == 14 && masked.AsSpan(8, 4).SequenceEqual("****") && masked.AsSpan(0, 8).SequenceEqual(digits14.AsSpan(0, 8)),
            "imei: the masked form keeps the TAC and hides digits 9-12");

        var registrationOk = form != ImeiForm.ImeiSv16 && (form != ImeiForm.Digits15 || imei.CheckDigitValid);
        Invariant.That((registration == ParseStatus.Ok) == registrationOk, "imei: registration takes 14 digits or 15 with a valid check digit, only");
        Invariant.That(registration != ParseStatus.Ok || registered == imei.Key, "imei: registration yields the same key");
    }

    private static bool Reference(ReadOnlySpan<char> text, out long key, out ImeiForm form, out int softwareVersion)
    {
        key = 0;
        form = default;
        softwareVersion = -1;
        var digits = text;
        bool ok14 = true, ok15 = true, ok16 = true;
        if (text.StartsWith("imeisv-", StringComparison.Ordinal))
        {
            digits = text[7..];
            (ok14, ok15) = (false, false);
        }
        else if (text.StartsWith("imei-", StringComparison.Ordinal))
        {
            digits = text[5..];
            ok16 = false;
        }

        if (!AllAsciiDigits(digits) || !((digits.Length == 14 && ok14) || (digits.Length == 15 && ok15) || (digits.Length == 16 && ok16)))
        {
            return false;
        }

        key = long.Parse(digits[..14], NumberStyles.None, CultureInfo.InvariantCulture);
        form = (ImeiForm)digits.Length;
        if (digits.Length == 16)
        {
            softwareVersion = int.Parse(digits[14..], NumberStyles.None, CultureInfo.InvariantCulture);
        }

        return true;
    }

    /// <summary>Luhn over the 14 digits as text, independently of the product's arithmetic version.</summary>
    private static int ReferenceLuhn(long key)
    {
        var digits = key.ToString("D14", CultureInfo.InvariantCulture);
        var sum = 0;
        for (var i = 0; i < 14; i++)
        {
            var d = digits[i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
        }

        return (10 - (sum % 10)) % 10;
    }

    internal static bool AllAsciiDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
