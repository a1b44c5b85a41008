using System.Globalization;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Events;

/// <summary>
/// The operator a SIM belongs to: "MCC-MNC" from the IMSI's first 5 or 6 digits. The MNC's length is not in the
/// IMSI; it is a property of the country (ITU-T E.212): 2 digits unless the MCC is one of
/// <see cref="ThreeDigitMncCountries"/>. Kyrgyzstan (437) uses 2 (docs/domain.md: 437-01, -05, -09).
/// </summary>
public sealed class HomeOperators
{
    /// <summary>MCCs of countries whose MNCs have 3 digits (E.212 list: North America, India's newer ranges, and others).</summary>
    public static readonly int[] DefaultThreeDigitMncCountries =
        [302, 310, 311, 312, 313, 314, 315, 316, 334, 338, 342, 344, 346, 348, 350, 352, 354, 356, 358, 360, 362, 365, 366, 376, 405, 708, 722, 732];

    private readonly HashSet<int> _threeDigit;

    public HomeOperators(IEnumerable<int> threeDigitMncCountries) => _threeDigit = [.. threeDigitMncCountries];

    public IReadOnlyCollection<int> ThreeDigitMncCountries => _threeDigit;

    /// <summary>"437-01" for IMSI 43701…; empty for no IMSI (key 0) or one too short to hold an MNC.</summary>
    public string Of(long imsiKey)
    {
        if (imsiKey == 0)
        {
            return "";
        }

        var imsi = new Imsi(imsiKey);
        var text = imsi.ToString();
        var mncLength = _threeDigit.Contains(imsi.Mcc) ? 3 : 2;
        return text.Length < 3 + mncLength ? "" : string.Concat(text.AsSpan(0, 3), "-", text.AsSpan(3, mncLength));
    }

    /// <summary>Whether <paramref name="text"/> has the form "MCC-MNC" (3 digits, '-', 2 or 3 digits).</summary>
    public static bool IsWellFormed(string text)
        => text.Length is 6 or 7 && text[3] == '-' && int.TryParse(text.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && int.TryParse(text.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out _);
}
