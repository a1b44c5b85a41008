namespace ImeiEir.Server.N5gEir;

/// <summary>The query parameters TS 29.511 defines for <c>GET /equipment-status</c>.</summary>
[Flags]
internal enum QueryParameter : byte
{
    None = 0,
    Pei = 1,
    Supi = 2,
    Gpsi = 4,
    SupportedFeatures = 8,
}

/// <summary>Why a query string was refused before any identifier was looked at.</summary>
internal enum QueryError : byte
{
    None = 0,

    /// <summary>A parameter TS 29.511 does not define (its decoded name is in <see cref="EquipmentStatusQuery.UnknownName"/>).</summary>
    UnknownParameter,

    /// <summary>A parameter given twice (<see cref="EquipmentStatusQuery.Duplicate"/>).</summary>
    Duplicate,
}

/// <summary>
/// The parameters of one request, as spans over the request's own query string (or over a caller-owned scratch
/// buffer when it was percent-encoded): reading them allocates nothing. Used synchronously, never across an await.
/// </summary>
internal ref struct EquipmentStatusQuery
{
    public ReadOnlySpan<char> Pei;
    public ReadOnlySpan<char> Supi;
    public ReadOnlySpan<char> Gpsi;
    public ReadOnlySpan<char> SupportedFeatures;

    /// <summary>Which parameters were given (present with an empty value counts as given).</summary>
    public QueryParameter Present;

    public QueryError Error;

    /// <summary>The parameter given twice, when <see cref="Error"/> is <see cref="QueryError.Duplicate"/>.</summary>
    public QueryParameter Duplicate;

    /// <summary>The unknown parameter's decoded name, when <see cref="Error"/> is <see cref="QueryError.UnknownParameter"/>.</summary>
    public ReadOnlySpan<char> UnknownName;

    /// <summary>
    /// Splits <paramref name="query"/> (with or without its leading <c>?</c>) into the four parameters. Names are
    /// case-sensitive, as OpenAPI defines them. Values are percent-decoded (<c>%XX</c>, one byte each: every valid
    /// identifier here is ASCII, so a multi-byte character stays invalid and is refused by the identifier parsers);
    /// <c>+</c> is kept as a literal plus (RFC 3986 gives it no meaning in a query; the HTML-form "space" reading would
    /// turn <c>gpsi=+996…</c> into a leading space). Empty pairs (<c>a=1&amp;&amp;b=2</c>) are skipped.
    /// </summary>
    /// <param name="scratch">At least <c>query.Length</c> chars when the query contains <c>%</c>; unused otherwise.</param>
    public static EquipmentStatusQuery Parse(ReadOnlySpan<char> query, Span<char> scratch)
    {
        var result = default(EquipmentStatusQuery);
        if (!query.IsEmpty && query[0] == '?')
        {
            query = query[1..];
        }

        var rest = query;
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var name = Decode(eq < 0 ? pair : pair[..eq], ref scratch);
            var value = eq < 0 ? default : Decode(pair[(eq + 1)..], ref scratch);
            var parameter = name switch
            {
                "pei" => QueryParameter.Pei,
                "supi" => QueryParameter.Supi,
                "gpsi" => QueryParameter.Gpsi,
                "supported-features" => QueryParameter.SupportedFeatures,
                _ => QueryParameter.None,
            };
            if (parameter == QueryParameter.None)
            {
                result.Error = QueryError.UnknownParameter;
                result.UnknownName = name;
                return result;
            }

            if ((result.Present & parameter) != 0)
            {
                // Two values for one identifier: which one the sender meant is unknowable, so neither is guessed.
                result.Error = QueryError.Duplicate;
                result.Duplicate = parameter;
                return result;
            }

            result.Present |= parameter;
            switch (parameter)
            {
                case QueryParameter.Pei:
                    result.Pei = value;
                    break;
                case QueryParameter.Supi:
                    result.Supi = value;
                    break;
                case QueryParameter.Gpsi:
                    result.Gpsi = value;
                    break;
                default:
                    result.SupportedFeatures = value;
                    break;
            }
        }

        return result;
    }

    /// <summary>The text itself when it has no escape (no copy); else its decoded form, cut from the front of <paramref name="scratch"/>.</summary>
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<char> raw, scoped ref Span<char> scratch)
    {
        var percent = raw.IndexOf('%');
        if (percent < 0)
        {
            return raw;
        }

        // Decoded text is never longer than the raw text, and the raw pieces of one query never overlap, so the
        // scratch (as long as the whole query) always has room.
        var target = scratch;
        raw[..percent].CopyTo(target);
        var written = percent;
        for (var i = percent; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%' && i + 2 < raw.Length && HexValue(raw[i + 1]) is var hi and >= 0 && HexValue(raw[i + 2]) is var lo and >= 0)
            {
                c = (char)((hi << 4) | lo);
                i += 2;
            }

            target[written++] = c;
        }

        scratch = scratch[written..];
        return target[..written];
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
