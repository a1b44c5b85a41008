using System.Text;

namespace ImeiEir.Storage;

/// <summary>
/// What may be said of a storage failure. Redis exception messages can carry key names, and keys carry identifiers
/// (<c>eir:grace:&lt;MSISDN&gt;</c>, <c>eir:owner:&lt;IMEI&gt;</c>), so a message never reaches a client and reaches the log
/// only with every run of 5 or more digits masked. Clients are told the kind of failure and to retry.
/// </summary>
public static class StorageErrors
{
    /// <summary>Digit runs this long or longer are masked (an MSISDN, IMSI or IMEI has 9–16).</summary>
    public const int MaskedDigitRun = 5;

    /// <summary>The text a client gets: the failure's kind, nothing from its message.</summary>
    public static string ForClient(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return $"storage unavailable ({ex.GetType().Name}); retry";
    }

    /// <summary>The text the log gets: the failure's kind and its message with identifiers masked.</summary>
    public static string ForLog(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var text = ex.InnerException is null ? ex.Message : ex.Message + " ← " + ex.InnerException.Message;
        return ex.GetType().Name + ": " + Redact(text);
    }

    /// <summary>Every run of <see cref="MaskedDigitRun"/> or more digits replaced by <c>#</c>s of its length.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                sb.Append(text[i++]);
                continue;
            }

            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var length = i - start;
            if (length >= MaskedDigitRun)
            {
                sb.Append('#', length);
            }
            else
            {
                sb.Append(text, start, length);
            }
        }

        return sb.ToString();
    }
}
