using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// <see cref="NrfOptions.AdvertisedUri"/> read into what an NFProfile carries: the scheme, one of an IPv4 address, an
/// IPv6 address or an FQDN, the port, and the API prefix.
/// </summary>
internal sealed partial record AdvertisedEndpoint(string Scheme, IPAddress? Address, string? Fqdn, int Port, string? ApiPrefix)
{
    /// <summary>
    /// Parses <paramref name="text"/>, or returns null and why not (a sentence naming
    /// <c>Nrf:AdvertisedUri</c>).
    /// </summary>
    public static AdvertisedEndpoint? TryParse(string text, out string error)
    {
        error = "";
        if (!System.Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
        {
            error = $"Nrf:AdvertisedUri must be an absolute https:// or http:// URI (how cores reach this node), not '{text}'.";
            return null;
        }

        if (uri.Query.Length != 0 || uri.Fragment.Length != 0 || uri.UserInfo.Length != 0)
        {
            error = "Nrf:AdvertisedUri must not carry user info, a query or a fragment.";
            return null;
        }

        var prefix = uri.AbsolutePath.TrimEnd('/');
        var apiPrefix = prefix.Length == 0 ? null : prefix;
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            var address = IPAddress.Parse(uri.IdnHost.Trim('[', ']'));
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                error = $"Nrf:AdvertisedUri must be an address cores can reach, not the wildcard {address}.";
                return null;
            }

            if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
            {
                error = $"Nrf:AdvertisedUri must not carry an IPv6 zone (scope) id: '{text}'.";
                return null;
            }

            return new AdvertisedEndpoint(uri.Scheme, address, null, uri.Port, apiPrefix);
        }

        // TS 29.571 Fqdn: dot-separated labels ending with an alphabetic top-level label, 4 to 253 characters.
        var host = uri.IdnHost.TrimEnd('.');
        if (uri.HostNameType != UriHostNameType.Dns || host.Length is < 4 or > 253 || !FqdnPattern().IsMatch(host))
        {
            error = $"Nrf:AdvertisedUri host '{uri.Host}' must be an IPv4 or IPv6 address or a fully qualified domain name (TS 29.571 Fqdn: e.g. eir1.5gc.mnc001.mcc437.3gppnetwork.org; 'localhost' is not one).";
            return null;
        }

        return new AdvertisedEndpoint(uri.Scheme, null, host.ToLowerInvariant(), uri.Port, apiPrefix);
    }

    [GeneratedRegex(@"^([0-9A-Za-z]([-0-9A-Za-z]{0,61}[0-9A-Za-z])?\.)+[A-Za-z]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex FqdnPattern();
}
