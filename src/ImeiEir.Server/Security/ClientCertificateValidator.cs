using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Security;

/// <summary>
/// Mutual TLS: judges a client certificate during the TLS handshake, so a bad one never gets a connection. Accepted
/// only when it chains to a CA of <c>Auth:ClientCertificates:CaPath</c> (that bundle only, never the system store), is
/// inside its validity period, and carries the clientAuth extended key usage. Which client it names is decided later,
/// per request, by <see cref="ApiClients.FindByCertificate"/>. Revocation is not checked (no CRL/OCSP in a core's
/// signalling network; rotate by replacing the CA bundle, which is re-read when it changes).
/// </summary>
public sealed class ClientCertificateValidator
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly WatchedFile<TrustBundle>? _bundle;
    private readonly TimeProvider _time;
    private readonly ILogger<ClientCertificateValidator> _log;

    public ClientCertificateValidator(IOptions<AuthOptions> options, TimeProvider time, ILogger<ClientCertificateValidator> log)
    {
        _time = time;
        _log = log;
        var path = options.Value.ClientCertificates.CaPath;
        if (!string.IsNullOrEmpty(path))
        {
            _bundle = new WatchedFile<TrustBundle>(path, TrustBundle.Load, time);
            _bundle.Reloaded += (file, error) =>
            {
                if (error is null)
                {
                    SecurityLog.FileReloaded(_log, "Auth:ClientCertificates:CaPath", file.Path);
                }
                else
                {
                    SecurityLog.FileReloadFailed(_log, "Auth:ClientCertificates:CaPath", file.Path, error.Message);
                }
            };
        }
    }

    /// <summary>True when a CA bundle is configured (client certificates can be accepted at all).</summary>
    public bool Configured => _bundle is not null;

    /// <summary>Kestrel's <c>ClientCertificateValidation</c> callback: false refuses the handshake.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var refusal = Judge(certificate, presented);
        if (refusal is not null)
        {
            SecurityLog.ClientCertificateRefused(_log, certificate.Subject, refusal);
            return false;
        }

        return true;
    }

    /// <summary>Null when acceptable, else why not (for the log).</summary>
    public string? Judge(X509Certificate2 certificate, X509Chain? presented)
    {
        if (_bundle is null)
        {
            return "no Auth:ClientCertificates:CaPath is configured";
        }

        var now = _time.GetUtcNow().UtcDateTime;
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return "not yet valid";
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return "expired";
        }

        if (!HasClientAuthUsage(certificate))
        {
            return "no clientAuth extended key usage";
        }

        var trust = _bundle.Current;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust.Roots);
        chain.ChainPolicy.ExtraStore.AddRange(trust.Intermediates);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (chain.Build(certificate))
        {
            return null;
        }

        var status = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct();
        return "chain not trusted: " + string.Join(", ", status);
    }

    private static bool HasClientAuthUsage(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value == ClientAuthOid)
                    {
                        return true;
                    }
                }
            }
        }

        // No extended key usage at all does not say "clientAuth": refused (the issue asks for the usage explicitly).
        return false;
    }

    /// <summary>A CA bundle split into self-signed roots (trusted) and intermediates (chain building material).</summary>
    internal sealed record TrustBundle(X509Certificate2Collection Roots, X509Certificate2Collection Intermediates)
    {
        public static TrustBundle Load(string path)
        {
            var all = PemFiles.ReadCertificates(path);
            var roots = new X509Certificate2Collection();
            var intermediates = new X509Certificate2Collection();
            foreach (var c in all)
            {
                (c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData) ? roots : intermediates).Add(c);
            }

            return roots.Count > 0 ? new TrustBundle(roots, intermediates)
                : throw new InvalidOperationException($"'{path}' holds no self-signed CA certificate to trust.");
        }
    }
}
