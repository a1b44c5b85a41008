namespace ImeiEir.Core.Identifiers;

/// <summary>
/// A subscriber identity (TS 23.003 §2.2): MCC (3) + MNC (2-3) + MSIN, 5 to 15 digits. <see cref="Key"/> is the
/// digits times 16 plus their count, so leading zeros (test MCC 001) survive and sorting by key keeps
/// neighbouring IMSIs together.
/// </summary>
public readonly record struct Imsi(long Key)
{
    public int Length => (int)(Key & 0xF);

    public long Digits => Key >> 4;

    /// <summary>Mobile Country Code: the first 3 digits.</summary>
    public int Mcc => (int)(Digits / Msisdn.Pow10[Length - 3]);

    public static Imsi FromDigits(long digits, int length) => new((digits << 4) | (uint)length);

    public override string ToString() => Digits.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(Length, '0');

    /// <summary>MCC+MNC (first 5 digits) kept, the rest masked: safe to log.</summary>
    public string ToMasked()
    {
        var s = ToString();
        return string.Concat(s.AsSpan(0, 5), new string('*', s.Length - 5));
    }
}

/// <summary>Allocation-free IMSI parsing.</summary>
public static class ImsiParser
{
    /// <summary>Parses 5 to 15 digits, optionally prefixed by <c>imsi-</c> (SUPI form).</summary>
    public static ParseStatus TryParse(ReadOnlySpan<char> text, out Imsi imsi)
    {
        imsi = default;
        if (text.IsEmpty)
        {
            return ParseStatus.Empty;
        }

        if (text.StartsWith("imsi-"))
        {
            text = text[5..];
        }

        long value = 0;
        foreach (var c in text)
        {
            var d = c - '0';
            if ((uint)d > 9)
            {
                return ParseStatus.NotDigits;
            }

            if (value < Msisdn.Pow10[16])
            {
                value = (value * 10) + d;
            }
        }

        if (text.Length < 5)
        {
            return ParseStatus.TooShort;
        }

        if (text.Length > 15)
        {
            return ParseStatus.TooLong;
        }

        imsi = Imsi.FromDigits(value, text.Length);
        return ParseStatus.Ok;
    }
}
