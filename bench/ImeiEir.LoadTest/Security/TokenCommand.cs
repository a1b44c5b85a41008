using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Security;

/// <summary>
/// <c>token</c>: prints an OAuth2 access token as an NRF issues it to a consumer (TS 29.510 AccessTokenClaims: iss =
/// the NRF's nfInstanceId, sub, aud, scope, iat, exp), a compact JWS signed ES256 with a P-256 private key from a PEM
/// file — for load against N5g-eir with <c>run --api n5g --key TOKEN</c>. Written by hand (header, claims, signature)
/// so the tool needs no JWT library: .NET's <see cref="ECDsa.SignData(byte[], HashAlgorithmName)"/> already gives the
/// IEEE P1363 form (r ‖ s) that JWS asks for (RFC 7518 §3.4).
/// </summary>
internal static class TokenCommand
{
    public const string Help = """
        token: print an ES256 NRF access token (JWT) for N5g-eir load.
          --signing-key PATH     PEM P-256 private key of the NRF (e.g. openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)
          --issuer ID            iss: the NRF's nfInstanceId (the node's Auth:Oauth2:Issuers:{i}:Issuer)
          --audience AUD         aud: the node's Nrf:NfInstanceId, or 5G_EIR (default 5G_EIR)
          --scope S              scope (default n5g-eir-eic)
          --subject ID           sub: the consumer's nfInstanceId (default a fixed UUID)
          --ttl D                lifetime, e.g. 120m or 3600s (default 60m)
        """;

    public static int Run(Args a)
    {
        var keyPath = a.Required("signing-key");
        var issuer = a.Required("issuer");
        var audience = a.Get("audience", "5G_EIR");
        var scope = a.Get("scope", "n5g-eir-eic");
        var subject = a.Get("subject", "c0ffee00-1111-4222-8333-444455556666");
        var ttl = a.Duration("ttl", TimeSpan.FromHours(1));
        a.EnsureAllRead();

        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"--signing-key: ES256 needs a P-256 key (found {key.KeySize} bits)");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["typ"] = "JWT" });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["sub"] = subject,
            ["aud"] = audience,
            ["scope"] = scope,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)ttl.TotalSeconds,
        });
        var signingInput = Base64Url(header) + "." + Base64Url(claims);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        Console.WriteLine(signingInput + "." + Base64Url(signature));
        return 0;
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
