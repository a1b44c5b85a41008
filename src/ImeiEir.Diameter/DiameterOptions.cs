using System.Globalization;
using System.Net;

namespace ImeiEir.Diameter;

/// <summary>
/// The S13 Diameter listeners (configuration section <c>Diameter</c>): cleartext TCP on <see cref="Listen"/> and TLS on
/// <see cref="DiameterTlsOptions.Listen"/> (<see cref="Tls"/>), either or both. Off unless one of them is set; when one
/// is, <see cref="Validate"/> requires our identity and at least one allowed peer or realm. Every other setting applies
/// to both listeners.
/// </summary>
public sealed class DiameterOptions
{
    public const string SectionName = "Diameter";

    /// <summary>The standard Diameter port (RFC 6733 §2.1).</summary>
    public const int DefaultPort = 3868;

    /// <summary>
    /// Where to listen, <c>host:port</c>: an IP literal (<c>0.0.0.0:3868</c>, <c>[::]:3868</c>, <c>127.0.0.1:3868</c>),
    /// <c>*:3868</c> for every address, or <c>localhost:3868</c>. Port 0 picks a free port (tests). Default empty: no
    /// cleartext listener (see <see cref="Tls"/> for the TLS one).
    /// </summary>
    public string Listen { get; set; } = "";

    /// <summary>Our Origin-Host (a DiameterIdentity, the EIR's FQDN, e.g. <c>eir1.epc.mnc001.mcc437.3gppnetwork.org</c>). Default empty; required when listening.</summary>
    public string OriginHost { get; set; } = "";

    /// <summary>Our Origin-Realm (e.g. <c>epc.mnc001.mcc437.3gppnetwork.org</c>). Default empty; required when listening.</summary>
    public string OriginRealm { get; set; } = "";

    /// <summary>
    /// Origin-Host values of the peers (MMEs, SGSNs, DEAs) allowed to connect; compared case-insensitively at CER. A
    /// peer is accepted when its host is listed here <em>or</em> its realm is in <see cref="AllowedRealms"/>. Default
    /// empty. Both lists empty while listening is a configuration error: an EIR never answers anyone who dials in.
    /// </summary>
    public IList<string> AllowedPeers { get; set; } = [];

    /// <summary>Origin-Realm values whose every host is allowed (see <see cref="AllowedPeers"/>). Default empty.</summary>
    public IList<string> AllowedRealms { get; set; } = [];

    /// <summary>Vendor-Id we send in CEA. Default 0 (no IANA enterprise number of our own).</summary>
    public uint VendorId { get; set; }

    /// <summary>Product-Name we send in CEA. Default <c>ImeiEir</c>.</summary>
    public string ProductName { get; set; } = "ImeiEir";

    /// <summary>
    /// Largest message accepted, in bytes. A longer message length means framing is lost: answered with 5015 and the
    /// connection closed. Default 65,536 (an MICR is about 200 bytes; CERs with many applications a few hundred).
    /// </summary>
    public int MaxMessageSize { get; set; } = 65_536;

    /// <summary>
    /// A connection that sends nothing (not even DWR) for this long is closed. Peers send DWR every Tw (30 s by
    /// default, RFC 3539), so silence this long means a dead peer or a half-open TCP connection. Default 2 minutes;
    /// <see cref="TimeSpan.Zero"/> turns it off.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A new connection must complete CER/CEA within this long, or it is closed: until then it is an unknown peer
    /// and gets no more than this. On the TLS listener the handshake gets the same allowance first (this, or
    /// <see cref="IdleTimeout"/> when this is zero or longer), and the CER's starts when it completes. Default 10 seconds; <see cref="TimeSpan.Zero"/> leaves only <see cref="IdleTimeout"/>.
    /// </summary>
    public TimeSpan CerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most connections open at once, cleartext and TLS together; more are closed on accept. An EIR has a handful of
    /// MMEs (each with a few connections), so the cap only bounds what unknown clients can hold. Default 1,024.
    /// </summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>
    /// On shutdown each open peer gets a DPR (Disconnect-Cause REBOOTING) so it fails over at once; we wait this long
    /// for its DPA before closing anyway. Default 2 seconds.
    /// </summary>
    public TimeSpan DisconnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The TLS listener (section <c>Diameter:Tls</c>). Default: off.</summary>
    public DiameterTlsOptions Tls { get; set; } = new();

    /// <summary>True when <see cref="Listen"/> is set (the cleartext listener is on).</summary>
    public bool CleartextEnabled => !string.IsNullOrWhiteSpace(Listen);

    /// <summary>True when the cleartext listener, the TLS listener or both are on.</summary>
    public bool Enabled => CleartextEnabled || Tls.Enabled;

    /// <summary>Throws with the setting's name when a value is wrong. Nothing is required while both listeners are off.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        if (CleartextEnabled)
        {
            _ = ParseListen(Listen);
        }

        Tls.Validate();
        if (CleartextEnabled && Tls.Enabled)
        {
            var plain = ParseListen(Listen);
            var tls = ParseListen(Tls.Listen, "Diameter:Tls:Listen");
            if (plain.Port != 0 && plain.Port == tls.Port && (plain.Address.Equals(tls.Address) || IsAny(plain.Address) || IsAny(tls.Address)))
            {
                throw new ArgumentException($"Diameter:Tls:Listen ({Tls.Listen}) must not use the port of Diameter:Listen ({Listen}).");
            }
        }

        if (string.IsNullOrWhiteSpace(OriginHost))
        {
            throw new ArgumentException("Diameter:OriginHost must be set (our DiameterIdentity) when Diameter:Listen or Diameter:Tls:Listen is set.");
        }

        if (string.IsNullOrWhiteSpace(OriginRealm))
        {
            throw new ArgumentException("Diameter:OriginRealm must be set when Diameter:Listen or Diameter:Tls:Listen is set.");
        }

        if (!AllowedPeers.Any(p => !string.IsNullOrWhiteSpace(p)) && !AllowedRealms.Any(r => !string.IsNullOrWhiteSpace(r)))
        {
            throw new ArgumentException("Diameter:AllowedPeers or Diameter:AllowedRealms must name at least one peer when Diameter:Listen or Diameter:Tls:Listen is set.");
        }

        if (string.IsNullOrWhiteSpace(ProductName))
        {
            throw new ArgumentException("Diameter:ProductName must not be empty.");
        }

        if (MaxMessageSize is < 1024 or > 0xFFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "Diameter:MaxMessageSize must be from 1024 to 16777215 bytes.");
        }

        if (IdleTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "Diameter:IdleTimeout must not be negative (zero: off).");
        }

        if (CerTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CerTimeout), CerTimeout, "Diameter:CerTimeout must not be negative (zero: off).");
        }

        if (MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "Diameter:MaxConnections must be at least 1.");
        }

        if (DisconnectTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DisconnectTimeout), DisconnectTimeout, "Diameter:DisconnectTimeout must not be negative.");
        }
    }

    /// <summary>Parses <c>host:port</c> (see <see cref="Listen"/>); errors name <paramref name="setting"/>.</summary>
    public static IPEndPoint ParseListen(string listen, string setting = "Diameter:Listen")
    {
        var text = listen.Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new ArgumentException($"{setting} must be host:port (e.g. 0.0.0.0:{(setting == "Diameter:Listen" ? DefaultPort : DiameterTlsOptions.DefaultPort)}), not '{listen}'.");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        var address = host switch
        {
            "*" or "+" => IPAddress.IPv6Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var a) ? a : null,
        };
        return address is null
            ? throw new ArgumentException($"{setting} host must be an IP address, '*' or 'localhost', not '{host}'.")
            : new IPEndPoint(address, port);
    }

    private static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
