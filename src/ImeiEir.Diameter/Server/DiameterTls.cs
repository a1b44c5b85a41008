using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Server;

/// <summary>How a TLS handshake ended.</summary>
internal enum TlsHandshakeOutcome : byte
{
    Succeeded,
    /// <summary>The peer's certificate was missing or refused (chain, validity, key usage).</summary>
    CertificateRefused,
    /// <summary>Anything else TLS refused: no common protocol version or cipher, not TLS at all, a bad message.</summary>
    Failed,
    /// <summary>The peer closed or reset the connection before the handshake completed.</summary>
    Closed,
    /// <summary>No handshake within the allowance (<see cref="DiameterOptions.CerTimeout"/>).</summary>
    TimedOut,
}

/// <summary>
/// A handshake's result: the stream to speak Diameter over, or why there is none. <see cref="Detail"/> is the reason of
/// a failure, or the peer certificate's subject on success (both for logs).
/// </summary>
internal readonly record struct TlsHandshakeResult(SslStream? Stream, TlsHandshakeOutcome Outcome, string Detail);

/// <summary>
/// Our certificate and the peers' trust, as read from the files at one moment. Immutable: a reload builds a new one and
/// swaps it in whole, so a handshake sees either the old set or the new one, never a mix.
/// </summary>
internal sealed class TlsCredentials
{
    private TlsCredentials(SslStreamCertificateContext server, X509Certificate2 leaf, X509ChainPolicy peerPolicy, FileStamps stamps)
    {
        Server = server;
        Leaf = leaf;
        PeerPolicy = peerPolicy;
        Stamps = stamps;
    }

    /// <summary>Our certificate, key and intermediates, ready for SslStream.</summary>
    public SslStreamCertificateContext Server { get; }

    /// <summary>Our leaf certificate (for logs).</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>
    /// How peers' chains are built: only the CA bundle is trusted (CustomRootTrust), no revocation, no downloads. SslStream
    /// clones it for every handshake, so sharing it is safe.
    /// </summary>
    public X509ChainPolicy PeerPolicy { get; }

    /// <summary>The files' modification times when they were read.</summary>
    public FileStamps Stamps { get; }

    /// <summary>Reads the three files; throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public static TlsCredentials Load(DiameterTlsOptions options)
    {
        // Stamp first: a file replaced while we read is then seen as changed at the next check, not missed.
        var stamps = FileStamps.Of(options);
        var chain = ReadCertificates(options.CertificatePath, "Diameter:Tls:CertificatePath");
        var leaf = WithKey(chain[0], options.KeyPath);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var cas = ReadCertificates(options.PeerCaPath, "Diameter:Tls:PeerCaPath");
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        foreach (var ca in cas)
        {
            // Roots are the anchors; intermediates in the bundle only help build chains (a CustomTrustStore entry that is
            // not self-signed would not end a chain anyway).
            if (ca.SubjectName.RawData.AsSpan().SequenceEqual(ca.IssuerName.RawData))
            {
                policy.CustomTrustStore.Add(ca);
            }
            else
            {
                policy.ExtraStore.Add(ca);
            }
        }

        if (policy.CustomTrustStore.Count == 0)
        {
            throw new ArgumentException($"Diameter:Tls:PeerCaPath: '{options.PeerCaPath}' holds no self-signed (root) CA certificate to trust.");
        }

        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new TlsCredentials(context, leaf, policy, stamps);
    }

    private static X509Certificate2Collection ReadCertificates(string path, string setting)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"{setting}: cannot read PEM certificates from '{path}' ({ex.Message}).", ex);
        }

        return certificates.Count == 0
            ? throw new ArgumentException($"{setting}: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
            : certificates;
    }

    private static X509Certificate2 WithKey(X509Certificate2 certificate, string keyPath)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Diameter:Tls:KeyPath: cannot read '{keyPath}' ({ex.Message}).", ex);
        }

        using var rsaPublic = certificate.GetRSAPublicKey();
        using var ecPublic = rsaPublic is null ? certificate.GetECDsaPublicKey() : null;
        if (rsaPublic is null && ecPublic is null)
        {
            throw new ArgumentException($"Diameter:Tls:CertificatePath: the certificate's key algorithm ({certificate.PublicKey.Oid.FriendlyName}) is neither RSA nor ECDSA.");
        }

        try
        {
            X509Certificate2 withKey;
            if (rsaPublic is not null)
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                withKey = certificate.CopyWithPrivateKey(rsa);
            }
            else
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(pem);
                withKey = certificate.CopyWithPrivateKey(ecdsa);
            }

            // Windows' TLS stack cannot use an ephemeral key; elsewhere the round trip is not needed.
            return OperatingSystem.IsWindows()
                ? X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null)
                : withKey;
        }
        catch (ArgumentException ex)
        {
            // ImportFromPem: no key of that algorithm, or an encrypted one; CopyWithPrivateKey: the key is another's.
            throw new ArgumentException($"Diameter:Tls:KeyPath: '{keyPath}' holds no unencrypted private key matching the certificate of Diameter:Tls:CertificatePath ({ex.Message}).", ex);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"Diameter:Tls:KeyPath: cannot read the private key in '{keyPath}' ({ex.Message}).", ex);
        }
    }
}

/// <summary>The modification times of the certificate, key and CA files.</summary>
internal readonly record struct FileStamps(DateTime Certificate, DateTime Key, DateTime PeerCa)
{
    public static FileStamps Of(DiameterTlsOptions options)
        => new(File.GetLastWriteTimeUtc(options.CertificatePath), File.GetLastWriteTimeUtc(options.KeyPath), File.GetLastWriteTimeUtc(options.PeerCaPath));
}

/// <summary>
/// The TLS side of the Diameter server: holds the current <see cref="TlsCredentials"/>, re-reads them when their files
/// change (checked from the accept loop, at most every <see cref="DiameterTlsOptions.ReloadCheckInterval"/>), and runs
/// the server handshake of each accepted connection: TLS 1.2 or 1.3, a client certificate required, chained to the CA
/// bundle only, and carrying clientAuth when it names extended key usages at all.
/// </summary>
internal sealed class DiameterTls
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly DiameterTlsOptions _options;
    private readonly ILogger _logger;
    private TlsCredentials _credentials;
    private FileStamps _lastSeen;
    private long _nextCheck;

    private DiameterTls(DiameterTlsOptions options, ILogger logger, TlsCredentials credentials)
    {
        _options = options;
        _logger = logger;
        _credentials = credentials;
        _lastSeen = credentials.Stamps;
        _nextCheck = Environment.TickCount64 + (long)options.ReloadCheckInterval.TotalMilliseconds;
    }

    /// <summary>The credentials new handshakes use.</summary>
    public TlsCredentials Credentials => Volatile.Read(ref _credentials);

    /// <summary>Reads the files (throws <see cref="ArgumentException"/> naming the wrong setting).</summary>
    public static DiameterTls Load(DiameterTlsOptions options, ILogger logger)
        => new(options, logger, TlsCredentials.Load(options));

    /// <summary>
    /// Re-reads the files when one of them changed since the last look, at most every
    /// <see cref="DiameterTlsOptions.ReloadCheckInterval"/>. Called by the TLS accept loop only (one thread). A set that
    /// cannot be used is logged once and the current one kept; the next change of any file is tried again.
    /// </summary>
    public void ReloadIfChanged()
    {
        var now = Environment.TickCount64;
        if (now < _nextCheck)
        {
            return;
        }

        _nextCheck = now + (long)_options.ReloadCheckInterval.TotalMilliseconds;
        FileStamps stamps;
        try
        {
            stamps = FileStamps.Of(_options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        if (stamps == _lastSeen)
        {
            return;
        }

        _lastSeen = stamps;
        try
        {
            var fresh = TlsCredentials.Load(_options);
            Volatile.Write(ref _credentials, fresh);
            DiameterLog.TlsCredentialsReloaded(_logger, fresh.Leaf.Subject, fresh.Leaf.NotAfter.ToUniversalTime());
        }
        catch (ArgumentException ex)
        {
            DiameterLog.TlsReloadFailed(_logger, ex.Message);
        }
    }

    /// <summary>
    /// The server handshake over <paramref name="inner"/>; on failure the stream is disposed and the result says why.
    /// <paramref name="token"/> carries the handshake's allowance.
    /// </summary>
    public async Task<TlsHandshakeResult> AuthenticateAsync(Stream inner, CancellationToken token)
    {
        var credentials = Credentials;
        var check = new PeerCertificateCheck();
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = credentials.Server,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = credentials.PeerPolicy,
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = check.Validate,
        };

        TlsHandshakeResult failure;
        try
        {
            await ssl.AuthenticateAsServerAsync(options, token).ConfigureAwait(false);
            return new TlsHandshakeResult(ssl, TlsHandshakeOutcome.Succeeded, check.PeerSubject ?? "");
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            failure = new(null, TlsHandshakeOutcome.TimedOut, "no handshake within the allowance (Diameter:CerTimeout)");
        }
        catch (AuthenticationException ex)
        {
            failure = check.Refusal is { } refusal
                ? new(null, TlsHandshakeOutcome.CertificateRefused, refusal)
                : new(null, TlsHandshakeOutcome.Failed, Describe(ex));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // A refused certificate can also surface as the peer dropping the connection after our alert.
            failure = check.Refusal is { } refusal
                ? new(null, TlsHandshakeOutcome.CertificateRefused, refusal)
                : new(null, TlsHandshakeOutcome.Closed, "the peer closed the connection during the handshake (" + ex.Message + ")");
        }

        await ssl.DisposeAsync().ConfigureAwait(false);
        return failure;
    }

    /// <summary>A TLS failure's messages, outer to inner: the inner ones name the cause (the outer one says only "failed").</summary>
    private static string Describe(Exception ex)
    {
        var text = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " / " + inner.Message;
        }

        return text;
    }

    /// <summary>One handshake's certificate verdict, remembered so the refusal can be logged with its reason.</summary>
    private sealed class PeerCertificateCheck
    {
        public string? Refusal { get; private set; }

        public string? PeerSubject { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                Refusal = "no client certificate (one chained to Diameter:Tls:PeerCaPath is required)";
                return false;
            }

            var peer = certificate as X509Certificate2;
            PeerSubject = certificate.Subject;

            // RFC 5280 §4.2.1.12: with the extension present, the certificate may only be used for the purposes listed.
            if (peer?.Extensions[Oids.ExtendedKeyUsage] is X509EnhancedKeyUsageExtension eku && !HasClientAuth(eku))
            {
                Refusal = $"client certificate '{certificate.Subject}' has extended key usages without clientAuth";
                return false;
            }

            // A client certificate's name is not checked (we do not know who dials in); the CER's Origin-Host is.
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? ["unknown"];
                var validity = peer is null ? "" : $", valid {peer.NotBefore.ToUniversalTime():u} to {peer.NotAfter.ToUniversalTime():u}";
                Refusal = $"client certificate '{certificate.Subject}' (issuer '{certificate.Issuer}'{validity}) not valid against Diameter:Tls:PeerCaPath: {string.Join(", ", statuses)}";
                return false;
            }

            return true;
        }

        private static bool HasClientAuth(X509EnhancedKeyUsageExtension eku)
        {
            foreach (var oid in eku.EnhancedKeyUsages)
            {
                if (oid.Value == ClientAuthOid)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static class Oids
    {
        public const string ExtendedKeyUsage = "2.5.29.37";
    }
}
