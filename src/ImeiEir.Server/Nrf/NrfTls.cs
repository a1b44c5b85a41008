using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// The HTTP handler under the NRF client: TLS trust from <c>Nrf:CaPath</c>, the client certificate from
/// <c>Nrf:ClientCertificate</c>. IHttpClientFactory builds a new handler every two minutes, which reads the files
/// again, so a renewed certificate or CA bundle is picked up without a restart.
/// </summary>
internal static class NrfTls
{
    public static SocketsHttpHandler CreateHandler(NrfOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            // An NF talks to its NRF directly: an HTTP(S)_PROXY meant for internet egress must not capture it.
            UseProxy = false,
            UseCookies = false,
            // TS 29.510 answers 307/308 to send a request to another NRF; follow them (method and body kept), a few hops.
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
        };

        if (!string.IsNullOrWhiteSpace(options.CaPath))
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                // As SslStream's default: an operator PKI seldom publishes CRLs reachable from the core network.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(Security.PemFiles.ReadCertificates(options.CaPath));
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        if (!string.IsNullOrWhiteSpace(options.ClientCertificate.Path))
        {
            var (certificate, chain) = LoadClientCertificate(options.ClientCertificate);
            handler.SslOptions.ClientCertificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true);
        }

        return handler;
    }

    /// <summary>The client certificate with its key, and the further certificates of its file (intermediates).</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadClientCertificate(NrfClientCertificateOptions options)
    {
        var keyPath = string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath;
        var certificate = X509Certificate2.CreateFromPemFile(options.Path, keyPath);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(options.Path);
        var chain = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (c.Thumbprint == certificate.Thumbprint)
            {
                c.Dispose();
            }
            else
            {
                chain.Add(c);
            }
        }

        return (certificate, chain);
    }
}
