using System.Text;

namespace ImeiEir.Fuzz;

/// <summary>How raw fuzzer bytes become the text an interface would hand the product.</summary>
internal static class Input
{
    /// <summary>
    /// UTF-8, as Kestrel decodes a query string or header and as gRPC decodes a string field: ill-formed sequences
    /// become U+FFFD, so the text never holds a lone surrogate (which no interface can deliver either).
    /// </summary>
    public static string Text(ReadOnlySpan<byte> data) => Encoding.UTF8.GetString(data);
}
