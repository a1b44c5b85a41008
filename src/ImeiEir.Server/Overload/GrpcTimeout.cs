using System.Diagnostics;

namespace ImeiEir.Server.Overload;

/// <summary>The <c>grpc-timeout</c> request header (gRPC over HTTP/2: at most 8 digits, then H, M, S, m, u or n).</summary>
internal static class GrpcTimeout
{
    /// <summary>
    /// Reads the header into <see cref="Stopwatch"/> ticks; false when absent or malformed (the call then has no
    /// deadline, which is what Grpc.AspNetCore makes of it too). Timeouts of an hour or more read as
    /// <see cref="long.MaxValue"/>: no queue is that long, and the arithmetic stays clear of overflow.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out long ticks)
    {
        ticks = 0;
        if (value.Length is < 2 or > 9)
        {
            return false;
        }

        long amount = 0;
        foreach (var c in value[..^1])
        {
            if ((uint)(c - '0') > 9)
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        double seconds = value[^1] switch
        {
            'H' => amount * 3600.0,
            'M' => amount * 60.0,
            'S' => amount,
            'm' => amount / 1e3,
            'u' => amount / 1e6,
            'n' => amount / 1e9,
            _ => -1,
        };
        if (seconds < 0)
        {
            return false;
        }

        ticks = seconds >= 3600 ? long.MaxValue : (long)(seconds * Stopwatch.Frequency);
        return true;
    }
}
