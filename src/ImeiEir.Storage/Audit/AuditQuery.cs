namespace ImeiEir.Storage.Audit;

/// <summary>
/// Which entries to read: every bound that is set applies. Build it with <see cref="Create"/>, which refuses a bad
/// range or token naming the request field.
/// </summary>
public sealed record AuditQuery
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1_000;

    private AuditQuery()
    {
    }

    public DateTimeOffset? Since { get; private init; }

    public DateTimeOffset? Until { get; private init; }

    public long FromSequence { get; private init; }

    public long ToSequence { get; private init; }

    public int PageSize { get; private init; }

    /// <summary>Parsed page token: the stream id the previous page ended with, or null for the first page.</summary>
    public (long Ms, long N)? After { get; private init; }

    /// <summary>The query, or the error naming the field (proto names) that is wrong.</summary>
    public static (AuditQuery? Query, string Error) Create(DateTimeOffset? since, DateTimeOffset? until, ulong fromSequence, ulong toSequence, uint pageSize, string pageToken)
    {
        if (since is { } s && until is { } u && u <= s)
        {
            return (null, "until must be later than since");
        }

        if (fromSequence > long.MaxValue)
        {
            return (null, "from_sequence is too large");
        }

        if (toSequence > long.MaxValue)
        {
            return (null, "to_sequence is too large");
        }

        if (toSequence != 0 && fromSequence > toSequence)
        {
            return (null, "to_sequence must be at least from_sequence");
        }

        if (pageSize > MaxPageSize)
        {
            return (null, $"page_size must be at most {MaxPageSize}");
        }

        (long, long)? after = null;
        if (!string.IsNullOrEmpty(pageToken))
        {
            if (!TryParseId(pageToken, out var ms, out var n))
            {
                return (null, "page_token is not a token this service gave");
            }

            after = (ms, n);
        }

        return (new AuditQuery
        {
            Since = since,
            Until = until,
            FromSequence = (long)fromSequence,
            ToSequence = (long)toSequence,
            PageSize = pageSize == 0 ? DefaultPageSize : (int)pageSize,
            After = after,
        }, "");
    }

    /// <summary>Reads a stream id <c>&lt;ms&gt;-&lt;n&gt;</c> (both non-negative decimal numbers).</summary>
    public static bool TryParseId(ReadOnlySpan<char> id, out long ms, out long n)
    {
        ms = 0;
        n = 0;
        var dash = id.IndexOf('-');
        return dash > 0
            && long.TryParse(id[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ms)
            && long.TryParse(id[(dash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n);
    }
}
