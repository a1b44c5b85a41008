namespace ImeiEir.Diameter;

/// <summary>
/// The Diameter-over-TLS listener (configuration section <c>Diameter:Tls</c>): TLS from the first byte on its own port
/// (RFC 6733 §2.1, "secure port"), beside the cleartext <see cref="DiameterOptions.Listen"/>. Off unless
/// <see cref="Listen"/> is set; when it is, the certificate, its key and the peer CA bundle are required. Peers must
/// present a client certificate that chains to <see cref="PeerCaPath"/>, and their CER must still pass
/// <see cref="DiameterOptions.AllowedPeers"/> / <see cref="DiameterOptions.AllowedRealms"/>.
/// </summary>
public sealed class DiameterTlsOptions
{
    public const string SectionName = "Tls";

    /// <summary>The port RFC 6733 §2.1 registers for Diameter over TLS/TCP.</summary>
    public const int DefaultPort = 5658;

    /// <summary>
    /// Where the TLS listener listens, <c>host:port</c>, in the same forms as <see cref="DiameterOptions.Listen"/>
    /// (<c>0.0.0.0:5658</c>, <c>[::]:5658</c>, <c>*:5658</c>, <c>localhost:5658</c>; port 0 picks a free port). Default
    /// empty: no TLS listener.
    /// </summary>
    public string Listen { get; set; } = "";

    /// <summary>
    /// Our certificate (PEM): the leaf first, then any intermediates to send with it. Its subject alternative names
    /// should carry our Origin-Host, since peers such as freeDiameter check it against the identity they dial. Default
    /// empty; required when <see cref="Listen"/> is set.
    /// </summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>
    /// The private key of <see cref="CertificatePath"/> (PEM: PKCS#8, or PKCS#1 RSA / SEC1 EC, unencrypted). Default
    /// empty; required when <see cref="Listen"/> is set.
    /// </summary>
    public string KeyPath { get; set; } = "";

    /// <summary>
    /// The CA certificates (a PEM bundle) that peers' client certificates must chain to. This bundle is the only trust:
    /// the system store is never consulted. Self-signed certificates in it are the trust anchors; others are
    /// intermediates that only help build chains. Revocation is not checked (no CRL or OCSP inside the EPC). Default
    /// empty; required when <see cref="Listen"/> is set.
    /// </summary>
    public string PeerCaPath { get; set; } = "";

    /// <summary>
    /// How often, at most, an accepted TLS connection makes the server look at the modification times of the
    /// certificate, key and CA files; when one changed, all three are read again and used from the next handshake on
    /// (a bad new set is logged and the previous one kept). Not a configuration setting; tests shorten it.
    /// </summary>
    internal TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when <see cref="Listen"/> is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Listen);

    /// <summary>
    /// Throws with the setting's name when a value is wrong or a file is missing. The files' contents are read and
    /// checked when the server starts (<c>DiameterServer.StartAsync</c>).
    /// </summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        _ = DiameterOptions.ParseListen(Listen, "Diameter:Tls:Listen");
        RequireFile(CertificatePath, "Diameter:Tls:CertificatePath", "our certificate (PEM)");
        RequireFile(KeyPath, "Diameter:Tls:KeyPath", "the private key of Diameter:Tls:CertificatePath (PEM)");
        RequireFile(PeerCaPath, "Diameter:Tls:PeerCaPath", "the CA bundle (PEM) peers' certificates are validated against");
        if (ReloadCheckInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReloadCheckInterval), ReloadCheckInterval, "The certificate reload check interval must not be negative.");
        }
    }

    private static void RequireFile(string path, string setting, string what)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"{setting} must be set ({what}) when Diameter:Tls:Listen is set.");
        }

        if (!File.Exists(path))
        {
            throw new ArgumentException($"{setting}: file '{path}' does not exist.");
        }
    }
}
