using ImeiEir.Tests.Shared;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>
/// A run-time PKI for the TLS listener: a CA, our server certificate (our Origin-Host and loopback as names) and a
/// valid client certificate for the allowed MME. Everything lives in a temporary folder removed on dispose.
/// </summary>
internal sealed class TestTls : IDisposable
{
    public TestTls()
    {
        // Valid since long ago, so it can also issue certificates that have already expired.
        Pki = new TestPki("ImeiEir Diameter Test CA", notBefore: DateTimeOffset.UtcNow.AddDays(-60));
        Server = Pki.Issue("eir", TestEir.OriginHost, CertificateUsage.Server,
            dnsNames: [TestEir.OriginHost, "localhost"], ipAddresses: [System.Net.IPAddress.Loopback]);
        Client = Pki.Issue("mme", Requests.PeerHost, CertificateUsage.Client, dnsNames: [Requests.PeerHost]);
    }

    public TestPki Pki { get; }

    public IssuedCertificate Server { get; }

    public IssuedCertificate Client { get; }

    /// <summary>Turns the TLS listener on (loopback, a free port) with this PKI's files.</summary>
    public void Apply(DiameterOptions options)
    {
        options.Tls.Listen = "127.0.0.1:0";
        options.Tls.CertificatePath = Server.CertificatePath;
        options.Tls.KeyPath = Server.KeyPath;
        options.Tls.PeerCaPath = Pki.CaPath;
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Pki.Dispose();
    }
}
