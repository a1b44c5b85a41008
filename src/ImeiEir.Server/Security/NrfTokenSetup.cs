using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImeiEir.Server.Security;

/// <summary>
/// OAuth2 access tokens an NRF issues to consumers (TS 33.501 §13.4.1, TS 29.510 AccessTokenClaims), validated by
/// ASP.NET Core's JwtBearer handler: signed ES256 or RS256 by the key of the NRF named in <c>iss</c>
/// (<c>Auth:Oauth2:Issuers</c>; one issuer's key never validates another's token), <c>exp</c> in the future within
/// <c>Auth:Oauth2:ClockSkew</c>, <c>aud</c> holding this node's <c>Nrf:NfInstanceId</c> or the NF type <c>5G_EIR</c>.
/// A valid token whose space-separated <c>scope</c> holds <c>n5g-eir-eic</c> gets role <c>check</c>; without it the
/// token authenticates but authorizes nothing (403 insufficient_scope).
/// </summary>
internal sealed class NrfTokenSetup : IConfigureNamedOptions<JwtBearerOptions>
{
    public const string SchemeName = "NrfToken";

    /// <summary>Authentication type of a principal from an access token.</summary>
    public const string AuthenticationType = "nrf-token";

    /// <summary>The NF type of a 5G-EIR (TS 29.510 NFType), an audience tokens may name instead of our instance id.</summary>
    public const string NfType = "5G_EIR";

    /// <summary>The service name a token's scope must hold (TS 29.511).</summary>
    public const string Scope = "n5g-eir-eic";

    private readonly AuthOptions _auth;
    private readonly string? _nfInstanceId;
    private readonly Dictionary<string, WatchedFile<SecurityKey>> _keys = new(StringComparer.Ordinal);
    private readonly TokenCache _cache;

    public NrfTokenSetup(IOptions<AuthOptions> auth, IConfiguration config, TimeProvider time, ILogger<NrfTokenSetup> log)
    {
        _auth = auth.Value;
        _cache = new TokenCache(time);
        _nfInstanceId = config["Nrf:NfInstanceId"];
        foreach (var issuer in _auth.Oauth2.Issuers)
        {
            if (string.IsNullOrWhiteSpace(issuer.Issuer) || string.IsNullOrWhiteSpace(issuer.SigningKeyPath))
            {
                continue; // the options validator reports it
            }

            var file = new WatchedFile<SecurityKey>(issuer.SigningKeyPath, PemFiles.ReadSigningKey, time);
            file.Reloaded += (f, error) =>
            {
                if (error is null)
                {
                    SecurityLog.FileReloaded(log, "Auth:Oauth2:Issuers:SigningKeyPath", f.Path);
                }
                else
                {
                    SecurityLog.FileReloadFailed(log, "Auth:Oauth2:Issuers:SigningKeyPath", f.Path, error.Message);
                }
            };
            _keys[issuer.Issuer] = file;
        }
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != SchemeName)
        {
            return;
        }

        options.MapInboundClaims = false;
        options.RequireHttpsMetadata = false; // no metadata is fetched: keys come from files
        List<string> audiences = [NfType];
        if (!string.IsNullOrWhiteSpace(_nfInstanceId))
        {
            audiences.Add(_nfInstanceId);
        }

        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuers = [.. _keys.Keys],
            ValidateAudience = true,
            ValidAudiences = audiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = _auth.Oauth2.ClockSkew,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256],
            ValidateIssuerSigningKey = true,
            IssuerSigningKeyResolver = (_, token, _, _) =>
                token is JsonWebToken jwt && _keys.TryGetValue(jwt.Issuer, out var key) ? [key.Current] : [],
            NameClaimType = "sub",
            RoleClaimType = ClaimTypes.Role,
            AuthenticationType = AuthenticationType,
        };
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                // A token verified before, not expired, whose issuer's key has not been replaced: no second verify.
                var token = EndpointCredentials.BearerOf(context.Request.Headers.Authorization.ToString());
                if (!token.IsEmpty && _cache.TryGet(token, CurrentKey, out var principal))
                {
                    context.Principal = principal;
                    context.Success();
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (context.Principal?.Identity is ClaimsIdentity identity && HasScope(identity.FindFirst("scope")?.Value))
                {
                    identity.AddClaim(new Claim(ClaimTypes.Role, Roles.Check));
                }

                if (context.Principal is { } validated && context.SecurityToken is JsonWebToken jwt && CurrentKey(jwt.Issuer) is { } key)
                {
                    _cache.Add(jwt.EncodedToken, validated, jwt.ValidTo, jwt.Issuer, key);
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>Tokens validated and still usable (diagnostics and tests).</summary>
    internal int CachedTokens => _cache.Count;

    private SecurityKey? CurrentKey(string issuer) => _keys.TryGetValue(issuer, out var file) ? file.Current : null;

    /// <summary>Whether a space-separated scope list holds <see cref="Scope"/> (TS 29.510: service names, space separated).</summary>
    public static bool HasScope(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return false;
        }

        foreach (var range in scope.AsSpan().Split(' '))
        {
            if (scope.AsSpan()[range].SequenceEqual(Scope))
            {
                return true;
            }
        }

        return false;
    }
}
