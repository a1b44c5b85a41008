using ImeiEir.Core.Identifiers;

namespace ImeiEir.Core.Tests;

/// <summary>Identifier helpers for tests: parse with the real parsers and fail loudly on bad test data.</summary>
internal static class Ids
{
    public const int HomeCountryCode = 996;

    /// <summary>The IMSI key of <paramref name="text"/> (as <see cref="Policy.CheckInput.ImsiKey"/> carries it).</summary>
    public static long Imsi(string text)
    {
        var status = ImsiParser.TryParse(text, out var imsi);
        return status == ParseStatus.Ok ? imsi.Key : throw new ArgumentException($"Bad test IMSI {text}: {status}", nameof(text));
    }

    /// <summary>The MSISDN value of <paramref name="text"/> with the home country code 996.</summary>
    public static long Msisdn(string text)
    {
        var status = MsisdnParser.TryParse(text, HomeCountryCode, out var msisdn);
        return status == ParseStatus.Ok ? msisdn.Value : throw new ArgumentException($"Bad test MSISDN {text}: {status}", nameof(text));
    }

    /// <summary>
    /// Independent Luhn check over a whole digit string (the check digit included): doubling every second digit
    /// from the right, the total must end in 0. Written apart from the code under test on purpose.
    /// </summary>
    public static bool LuhnValid(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}
