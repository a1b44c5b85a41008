using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ImeiEir.LoadTest.Cli;

/// <summary>
/// TLS of an <c>https://</c> target: <c>--ca PATH</c> (PEM: the only CA the node's certificate may chain to; without it
/// the system store decides), <c>--cert PATH</c> with <c>--cert-key PATH</c> (PEM: a client certificate for mutual TLS;
/// the key may also sit in the certificate's file). Named <c>--cert-key</c> because <c>--key</c> is the API key.
/// </summary>
internal sealed record ClientTls(string CaPath, string CertificatePath, string CertificateKeyPath)
{
    public const string Help = """
          --ca PATH              https targets: trust only this CA (PEM) for the node's certificate
          --cert PATH            https targets: present this client certificate (PEM; mutual TLS)
          --cert-key PATH        its private key (PEM; default: the key in --cert's file)
        """;

    public static readonly ClientTls None = new("", "", "");

    public static ClientTls Read(Args a)
    {
        var tls = new ClientTls(a.Get("ca", ""), a.Get("cert", ""), a.Get("cert-key", ""));
        return tls.CertificatePath.Length == 0 && tls.CertificateKeyPath.Length > 0
            ? throw new ArgumentException("--cert-key needs --cert")
            : tls;
    }

    /// <summary>The handler's TLS settings; null when none were asked for (the runtime's defaults apply).</summary>
    public SslClientAuthenticationOptions? Options()
    {
        if (CaPath.Length == 0 && CertificatePath.Length == 0)
        {
            return null;
        }

        var ssl = new SslClientAuthenticationOptions();
        if (CaPath.Length > 0)
        {
            var trust = new X509Certificate2Collection();
            trust.ImportFromPemFile(CaPath);
            // Chain to these CAs only, like the node does for client certificates; the name must still match the URL.
            ssl.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(trust);
        }

        if (CertificatePath.Length > 0)
        {
            var certificate = X509Certificate2.CreateFromPemFile(CertificatePath, CertificateKeyPath.Length > 0 ? CertificateKeyPath : null);
            // Offered whatever CA list the server names (it sends none for AllowCertificate with a custom validator).
            ssl.ClientCertificates = [certificate];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        return ssl;
    }
}
