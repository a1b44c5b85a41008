using System.Runtime.CompilerServices;

namespace ImeiEir.Core.Identifiers;

/// <summary>How an IMEI reached us.</summary>
public enum ImeiForm : byte
{
    /// <summary>14 digits, TAC+SNR, as S13 and MAP send it.</summary>
    Digits14 = 14,
    /// <summary>15 digits with a check digit (valid or not: home-made IMEIs exist).</summary>
    Digits15 = 15,
    /// <summary>16 digits, IMEISV: TAC+SNR+software version.</summary>
    ImeiSv16 = 16,
}

/// <summary>
/// The identity of a device: its 14-digit TAC+SNR as a number (0 to 10^14-1). The null IMEI (all zeros) is the
/// ordinary key 0.
/// </summary>
public readonly record struct ImeiKey(long Value)
{
    public const long Limit = 100_000_000_000_000L;

    /// <summary>The 8-digit Type Allocation Code.</summary>
    public int Tac => (int)(Value / 1_000_000);

    /// <summary>The Luhn check digit of this TAC+SNR (TS 23.003 annex B).</summary>
    public int CheckDigit => ImeiParser.LuhnCheckDigit(Value);

    /// <summary>The 14-digit text form.</summary>
    public override string ToString() => Value.ToString("D14", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The 15-digit form with the computed check digit.</summary>
    public string ToString15() => ToString() + (char)('0' + CheckDigit);

    /// <summary>First 8 digits (TAC) and last 2 kept, the rest masked: safe to log.</summary>
    public string ToMasked()
    {
        var s = ToString();
        return string.Concat(s.AsSpan(0, 8), "****", s.AsSpan(12, 2));
    }
}

/// <summary>An IMEI as parsed: its key, the form it came in, and what its check digit says.</summary>
public readonly record struct ParsedImei(ImeiKey Key, ImeiForm Form, bool CheckDigitPresent, bool CheckDigitValid, int SoftwareVersion);

/// <summary>Allocation-free IMEI parsing (TS 23.003 §6.2, TS 29.571 Pei).</summary>
public static class ImeiParser
{
    /// <summary>
    /// Parses any network form: 14, 15 or 16 digits, <c>imei-</c> + 14/15 digits, <c>imeisv-</c> + 16 digits.
    /// The check digit of a 15-digit input is computed and reported, not required (network path).
    /// </summary>
    public static ParseStatus TryParse(ReadOnlySpan<char> text, out ParsedImei imei)
    {
        imei = default;
        if (text.IsEmpty)
        {
            return ParseStatus.Empty;
        }

        var digits = text;
        var requiredLength = 0; // 0: any of 14/15/16
        if (text[0] is < '0' or > '9')
        {
            if (text.StartsWith("imeisv-"))
            {
                digits = text[7..];
                requiredLength = 16;
            }
            else if (text.StartsWith("imei-"))
            {
                digits = text[5..];
                requiredLength = -1; // 14 or 15
            }
            else if (LooksLikeOtherPei(text))
            {
                return ParseStatus.UnsupportedPeiType;
            }
            else
            {
                return ParseStatus.NotDigits;
            }
        }

        if (digits.Length > 16 || digits.IsEmpty)
        {
            return AllDigits(digits) && !digits.IsEmpty ? ParseStatus.WrongLength : digits.IsEmpty ? ParseStatus.WrongLength : ParseStatus.NotDigits;
        }

        long value = 0;
        foreach (var c in digits)
        {
            var d = c - '0';
            if ((uint)d > 9)
            {
                return ParseStatus.NotDigits;
            }

            value = (value * 10) + d;
        }

        var length = digits.Length;
        var lengthOk = requiredLength switch
        {
            16 => length == 16,
            -1 => length is 14 or 15,
            _ => length is 14 or 15 or 16,
        };
        if (!lengthOk)
        {
            return ParseStatus.WrongLength;
        }

        switch (length)
        {
            case 14:
                imei = new ParsedImei(new ImeiKey(value), ImeiForm.Digits14, false, false, -1);
                break;
            case 15:
                var key = value / 10;
                var given = (int)(value % 10);
                imei = new ParsedImei(new ImeiKey(key), ImeiForm.Digits15, true, LuhnCheckDigit(key) == given, -1);
                break;
            default:
                imei = new ParsedImei(new ImeiKey(value / 100), ImeiForm.ImeiSv16, false, false, (int)(value % 100));
                break;
        }

        return ParseStatus.Ok;
    }

    /// <summary>
    /// The registry's form: 14 digits, or 15 with a valid check digit. IMEISV and wrong check digits are refused.
    /// </summary>
    public static ParseStatus TryParseForRegistration(ReadOnlySpan<char> text, out ImeiKey key)
    {
        key = default;
        var status = TryParse(text, out var parsed);
        if (status != ParseStatus.Ok)
        {
            return status;
        }

        if (parsed.Form == ImeiForm.ImeiSv16)
        {
            return ParseStatus.ImeiSvNotAccepted;
        }

        if (parsed.CheckDigitPresent && !parsed.CheckDigitValid)
        {
            return ParseStatus.BadCheckDigit;
        }

        key = parsed.Key;
        return ParseStatus.Ok;
    }

    /// <summary>Luhn check digit over the 14 digits of TAC+SNR (doubling every second digit from the right).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LuhnCheckDigit(long key14)
    {
        var sum = 0;
        var v = key14;
        for (var i = 0; i < 14; i++)
        {
            var d = (int)(v % 10);
            v /= 10;
            if ((i & 1) == 0)
            {
                // Rightmost digit of the 14 is doubled: the check digit will sit to its right.
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return (10 - (sum % 10)) % 10;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static bool LooksLikeOtherPei(ReadOnlySpan<char> text)
        => text.StartsWith("mac-") || text.StartsWith("eui-") || text.StartsWith("mac") || text.StartsWith("eui");
}
