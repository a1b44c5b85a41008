using System.Net;

namespace ImeiEir.Server.Security;

/// <summary>
/// <c>Auth:TrustedNetworks</c>: source ranges whose requests without credentials get role <c>check</c>. IPv4-mapped
/// IPv6 addresses (a dual-stack listener's view of an IPv4 peer) are compared as IPv4.
/// </summary>
internal sealed class TrustedNetworks
{
    private readonly IPNetwork[] _ranges;

    public TrustedNetworks(IEnumerable<string> ranges)
    {
        _ranges = [.. ranges.Select(r => TryParse(r, out var n) ? n : throw new ArgumentException($"'{r}' is not a CIDR range."))];
    }

    public bool IsEmpty => _ranges.Length == 0;

    public IReadOnlyList<IPNetwork> Ranges => _ranges;

    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        return !string.IsNullOrWhiteSpace(text) && text.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(text.Trim(), out network);
    }

    public bool Contains(IPAddress? address)
    {
        if (address is null || _ranges.Length == 0)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var range in _ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => string.Join(", ", _ranges.Select(r => r.ToString()));
}
