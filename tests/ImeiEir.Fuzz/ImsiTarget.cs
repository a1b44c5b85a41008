using System.Globalization;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.Fuzz;

/// <summary><see cref="ImsiParser"/> against the reference (optional <c>imsi-</c>, 5 to 15 ASCII digits) and its key's round trip.</summary>
internal static class ImsiTarget
{
    public static void Run(ReadOnlySpan<byte> data) => Check(Input.Text(data));

    public static void Check(ReadOnlySpan<char> text)
    {
        var status = ImsiParser.TryParse(text, out var imsi);
        Invariant.That(Enum.IsDefined(status), "imsi: status is a defined ParseStatus");
        var digits = text.StartsWith("imsi-", StringComparison.Ordinal) ? text[5..] : text;
        var expected = !text.IsEmpty && ImeiTarget.AllAsciiDigits(digits) && digits.Length is >= 5 and <= 15;
        Invariant.That((status == ParseStatus.Ok) == expected, "imsi: accepted exactly what the reference accepts");
        if (status != ParseStatus.Ok)
        {
            Invariant.That(imsi == default && ParseStatusText.DescribeImsi(status).Length > 0, "imsi: a refusal is default and has a text");
            return;
        }

        Invariant.That(imsi.Length == digits.Length, "imsi: length kept (leading zeros survive)");
        var textForm = imsi.ToString();
        Invariant.That(textForm.AsSpan().SequenceEqual(digits), "imsi: text form equals the digits given");
        Invariant.That(imsi.Mcc == int.Parse(digits[..3], NumberStyles.None, CultureInfo.InvariantCulture), "imsi: MCC is the first 3 digits");
        Invariant.That(Imsi.FromDigits(imsi.Digits, imsi.Length) == imsi, "imsi: key round-trips through digits and length");
        var masked = imsi.ToMasked();
        Invariant.That(masked.Length == digits.Length && masked.AsSpan(0, 5).SequenceEqual(digits[..5]) && masked.AsSpan(5).IndexOfAnyExcept('*') < 0,
            "imsi: the masked form keeps MCC+MNC only");
    }
}
