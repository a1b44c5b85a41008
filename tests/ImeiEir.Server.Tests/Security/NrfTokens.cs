using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImeiEir.Server.Tests.Security;

/// <summary>
/// Two test NRFs that sign access tokens as TS 29.510 AccessTokenClaims describes (iss = the NRF's nfInstanceId,
/// sub, aud, scope, exp): one ES256 whose public key is given as a PEM public key, one RS256 given as a certificate.
/// Keys are made at run time.
/// </summary>
public sealed class NrfTokens : IDisposable
{
    public const string EsIssuer = "8f2c6a52-3c9e-4c1a-9f53-0d3cbb0f1a11";
    public const string RsIssuer = "a1b2c3d4-0000-4000-8000-00000000aaaa";
    public const string NodeInstanceId = "5e1f0c3a-7d4b-4e6a-9b8c-2f1d0e3c4b5a";

    private readonly ECDsa _es = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _rs;

    public NrfTokens(ImeiEir.Tests.Shared.TestPki pki)
    {
        EsKeyPath = Path.Combine(pki.Folder, "nrf-es-public.pem");
        File.WriteAllText(EsKeyPath, _es.ExportSubjectPublicKeyInfoPem());
        var rsCertificate = pki.Issue("nrf-rs", "nrf-rs.test", ImeiEir.Tests.Shared.CertificateUsage.Server, dnsNames: ["nrf-rs.test"], rsa: true);
        RsCertificatePath = rsCertificate.CertificatePath;
        _rs = rsCertificate.Certificate.GetRSAPrivateKey()!;
    }

    /// <summary>The ES256 NRF's public key (PEM public key form).</summary>
    public string EsKeyPath { get; }

    /// <summary>The RS256 NRF's certificate (PEM certificate form).</summary>
    public string RsCertificatePath { get; }

    /// <summary>Settings that make a node accept both NRFs and name itself <see cref="NodeInstanceId"/>.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Auth:Oauth2:Issuers:0:Issuer"] = EsIssuer,
        ["Auth:Oauth2:Issuers:0:SigningKeyPath"] = EsKeyPath,
        ["Auth:Oauth2:Issuers:1:Issuer"] = RsIssuer,
        ["Auth:Oauth2:Issuers:1:SigningKeyPath"] = RsCertificatePath,
        ["Nrf:NfInstanceId"] = NodeInstanceId,
    };

    public enum Signer
    {
        Es256,
        Rs256,
        Stranger,
    }

    public string Create(
        Signer signer = Signer.Es256,
        string issuer = EsIssuer,
        object? audience = null,
        string? scope = "n5g-eir-eic",
        TimeSpan? expiresIn = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["sub"] = "c0ffee00-1111-4222-8333-444455556666", // the AMF's nfInstanceId
            ["aud"] = audience ?? NodeInstanceId,
        };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            SigningCredentials = signer switch
            {
                Signer.Rs256 => new SigningCredentials(new RsaSecurityKey(_rs), SecurityAlgorithms.RsaSha256),
                Signer.Stranger => new SigningCredentials(new ECDsaSecurityKey(_stranger), SecurityAlgorithms.EcdsaSha256),
                _ => new SigningCredentials(new ECDsaSecurityKey(_es), SecurityAlgorithms.EcdsaSha256),
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>Writes the stranger's public key (what an NRF's rotated key looks like to the node).</summary>
    public void WriteStrangerKeyTo(string path) => File.WriteAllText(path, _stranger.ExportSubjectPublicKeyInfoPem());

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public static string Unsigned()
    {
        static string B64(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        return B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
            B64($"{{\"iss\":\"{EsIssuer}\",\"aud\":\"{NodeInstanceId}\",\"scope\":\"n5g-eir-eic\",\"exp\":{exp}}}") + ".";
    }

    /// <summary>HS256 with the ES256 NRF's public key bytes as the HMAC secret (the classic key-confusion attack).</summary>
    public string KeyConfusion()
    {
        var secret = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(EsKeyPath)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["iss"] = EsIssuer, ["aud"] = NodeInstanceId, ["scope"] = "n5g-eir-eic" },
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256),
        });
    }

    public void Dispose()
    {
        _es.Dispose();
        _stranger.Dispose();
        _rs.Dispose();
    }
}
