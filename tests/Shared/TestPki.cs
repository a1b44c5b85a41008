using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ImeiEir.Tests.Shared;

/// <summary>
/// A throw-away PKI made at run time (nothing private is ever committed): a CA, and server, client or peer
/// certificates it signs, written as PEM files into a private temporary folder that is deleted on dispose.
/// Linked into every test project that speaks TLS.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly X509Certificate2 _ca;

    public TestPki(string name = "ImeiEir Test CA", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        Folder = Path.Combine(Path.GetTempPath(), "imeieir-pki-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Wide enough to sign expired and not-yet-valid test certificates inside it.
        _ca = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddYears(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(5));
        CaPath = Path.Combine(Folder, "ca.pem");
        File.WriteAllText(CaPath, _ca.ExportCertificatePem());
    }

    /// <summary>The folder holding every PEM file of this PKI.</summary>
    public string Folder { get; }

    /// <summary>The CA certificate (PEM), what peers are validated against.</summary>
    public string CaPath { get; }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Ca => _ca;

    /// <summary>
    /// Issues a certificate signed by this CA and writes <c>{file}.pem</c> and <c>{file}-key.pem</c> (PKCS#8).
    /// </summary>
    /// <param name="file">File name stem inside <see cref="Folder"/>.</param>
    /// <param name="commonName">Subject CN.</param>
    /// <param name="usage">Extended key usages: server auth, client auth, or both.</param>
    /// <param name="dnsNames">DNS subject-alternative names (e.g. <c>localhost</c> for a server).</param>
    /// <param name="uris">URI subject-alternative names.</param>
    /// <param name="ipAddresses">IP subject-alternative names (e.g. 127.0.0.1 for a server).</param>
    /// <param name="notBefore">Default: yesterday.</param>
    /// <param name="notAfter">Default: in 30 days.</param>
    /// <param name="rsa">An RSA key instead of ECDSA P-256.</param>
    public IssuedCertificate Issue(
        string file,
        string commonName,
        CertificateUsage usage,
        IEnumerable<string>? dnsNames = null,
        IEnumerable<Uri>? uris = null,
        IEnumerable<System.Net.IPAddress>? ipAddresses = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        bool rsa = false)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest("CN=" + commonName, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=" + commonName, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            rsa ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, true));
        var ekus = new OidCollection();
        if (usage.HasFlag(CertificateUsage.Server))
        {
            ekus.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        if (usage.HasFlag(CertificateUsage.Client))
        {
            ekus.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        }

        if (ekus.Count > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ekus, false));
        }

        var san = new SubjectAlternativeNameBuilder();
        var anySan = false;
        foreach (var d in dnsNames ?? [])
        {
            san.AddDnsName(d);
            anySan = true;
        }

        foreach (var u in uris ?? [])
        {
            san.AddUri(u);
            anySan = true;
        }

        foreach (var ip in ipAddresses ?? [])
        {
            san.AddIpAddress(ip);
            anySan = true;
        }

        if (anySan)
        {
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);
        // Signed by the CA's EC key whatever the leaf's key type (an RSA leaf under the EC CA too).
        using var caKey = _ca.GetECDsaPrivateKey()!;
        using var signed = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), from, to, serial);
        var certificate = key is RSA rsaKey ? signed.CopyWithPrivateKey(rsaKey) : signed.CopyWithPrivateKey((ECDsa)key);
        var certPath = Path.Combine(Folder, file + ".pem");
        var keyPath = Path.Combine(Folder, file + "-key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new IssuedCertificate(certificate, certPath, keyPath);
    }

    /// <summary>A server certificate for loopback: SANs <c>localhost</c>, 127.0.0.1 and ::1.</summary>
    public IssuedCertificate IssueLoopbackServer(string file = "server", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
        => Issue(file, "localhost", CertificateUsage.Server, dnsNames: ["localhost"],
            ipAddresses: [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback], notBefore: notBefore, notAfter: notAfter);

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Which extended key usages a test certificate carries.</summary>
[Flags]
public enum CertificateUsage
{
    None = 0,
    Server = 1,
    Client = 2,
}

/// <summary>An issued certificate (with its private key) and where its PEM files are.</summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, string CertificatePath, string KeyPath) : IDisposable
{
    public void Dispose() => Certificate.Dispose();
}
