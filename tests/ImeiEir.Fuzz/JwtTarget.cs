using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImeiEir.Fuzz;

/// <summary>
/// Bearer-token parsing as the coming JWT authentication will do it (Microsoft.IdentityModel, what ASP.NET Core's
/// JwtBearer handler calls): <see cref="JsonWebTokenHandler.ReadJsonWebToken"/> and
/// <see cref="JsonWebTokenHandler.ValidateTokenAsync(string, TokenValidationParameters)"/> against fixed parameters
/// with an ES256 key made when the process starts (never stored). The input is the token text. Nothing the fuzzer
/// writes can carry a valid signature, so a token that validates is a crash; so is any exception other than the
/// documented malformed-token ones.
/// </summary>
internal static class JwtTarget
{
    public const string Issuer = "https://auth.eir.test";
    public const string Audience = "imeieir";

    private static readonly ECDsa SigningKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static readonly JsonWebTokenHandler Handler = new();

    private static readonly TokenValidationParameters Parameters = new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = new ECDsaSecurityKey(SigningKey) { KeyId = "fuzz-key" },
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
    };

    public static void Run(ReadOnlySpan<byte> data)
    {
        var token = Input.Text(data);
        try
        {
            var jwt = Handler.ReadJsonWebToken(token);
            _ = jwt.Alg;
            _ = jwt.Kid;
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException (an ArgumentException) and the size limit: the documented refusals.
        }
        catch (FormatException)
        {
            // Found by this target (docs/fuzzing.md): Microsoft.IdentityModel 8.23.0's ReadJsonWebToken lets a
            // FormatException (IDX10400) out of Base64UrlEncoder for a JWE-shaped token with a segment of invalid
            // base64url length, e.g. "e30.0.0.0.0", instead of SecurityTokenMalformedException. ValidateTokenAsync (what
            // JwtBearer calls) catches it; code that calls ReadJsonWebToken itself must catch FormatException too.
            // Accepted here so the fuzzer keeps exploring; the input stays in the corpus as a regression seed.
        }

        var result = Handler.ValidateTokenAsync(token, Parameters).GetAwaiter().GetResult();
        Invariant.That(!result.IsValid, "jwt: a token the fuzzer wrote never validates (no one has the key)");
        Invariant.That(result.Exception is not null, "jwt: a refused token says why");
    }

    /// <summary>A token as the issuer would sign it, with this process's key (seeds are signed with a key of their own run).</summary>
    public static string Sign(IDictionary<string, object> claims, DateTime expires)
        => Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            Expires = expires,
            NotBefore = expires.AddDays(-2),
            IssuedAt = expires.AddDays(-2),
            SigningCredentials = new SigningCredentials(Parameters.IssuerSigningKey, SecurityAlgorithms.EcdsaSha256),
        });
}
