using System.Security.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Security;

/// <summary>
/// Wires security into the host: TLS defaults for Kestrel's endpoints, the authentication schemes (the node's own
/// credentials, NRF tokens) behind one selector, one authorization policy per role, and how refusals are answered.
/// Flow per API request: routing picks the endpoint → the authorization middleware runs its role's policy → the
/// <see cref="EirCredentialsHandler"/> judges the request, forwarding a JWT on a token-taking endpoint to
/// <see cref="NrfTokenSetup.SchemeName"/> (validated tokens are remembered until they expire: <see cref="TokenCache"/>)
/// → <see cref="RefusalWriter"/> answers 401/403 in gRPC or HTTP form.
/// </summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>The scheme every role policy names: the node's credentials, forwarding NRF tokens to JwtBearer.</summary>
    public const string SchemeName = "Eir";

    public static WebApplicationBuilder AddEirSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<ApiClients>();
        services.AddSingleton(sp => new TrustedNetworks(sp.GetRequiredService<IOptions<AuthOptions>>().Value.TrustedNetworks));
        services.AddSingleton<ClientCertificateValidator>();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, NrfTokenSetup>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalWriter>();

        // No default scheme on purpose: the host's implicit authentication middleware runs before routing, where the
        // selector cannot see the endpoint, and would authenticate admin probes too. Each role's policy names the
        // scheme instead, so a request is authenticated once, by the authorization middleware, after routing.
        // The node's credential handler forwards a JWT on a token-taking endpoint to JwtBearer itself (one handler per
        // request; a policy scheme in front would cost a second authentication pass on every check).
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, EirCredentialsHandler>(SchemeName, o => o.ForwardDefaultSelector = context =>
                EndpointCredentials.CarriesNrfToken(context) ? NrfTokenSetup.SchemeName : null)
            .AddJwtBearer(NrfTokenSetup.SchemeName, _ => { });
        services.AddAuthorization(o =>
        {
            foreach (var role in Roles.All)
            {
                o.AddPolicy(role, p => p.AddAuthenticationSchemes(SchemeName).RequireRole(role));
            }
        });

        // TLS on every https:// endpoint (its certificate from Kestrel:Endpoints:{name}:Certificate:Path/KeyPath,
        // replaced files picked up by Kestrel's own certificate file watcher): TLS 1.2 and 1.3 only, and client
        // certificates, where an endpoint asks for them (ClientCertificateMode), judged against our CA bundle.
        var clientCertificateEndpoints = ClientCertificateEndpoints(builder.Configuration);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https =>
        {
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            var validator = k.ApplicationServices.GetRequiredService<ClientCertificateValidator>();
            if (clientCertificateEndpoints.Count > 0 && !validator.Configured)
            {
                throw new InvalidOperationException(
                    $"Kestrel:Endpoints:{clientCertificateEndpoints[0]}:ClientCertificateMode asks for client certificates but Auth:ClientCertificates:CaPath is empty.");
            }

            https.ClientCertificateValidation = validator.Validate;
        }));
        return builder;
    }

    /// <summary>Logs at start what an operator must know about the node's security settings.</summary>
    public static void LogSecuritySettings(this WebApplication app, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(app);
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (!auth.Enabled)
        {
            SecurityLog.AuthDisabled(log);
            return;
        }

        var trusted = app.Services.GetRequiredService<TrustedNetworks>();
        if (!trusted.IsEmpty)
        {
            SecurityLog.TrustedNetworks(log, trusted.ToString());
        }

        if (auth.Clients.Count == 0 && auth.Oauth2.Issuers.Count == 0 && trusted.IsEmpty)
        {
            SecurityLog.NoCredentials(log);
        }

        foreach (var endpoint in app.Configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"]?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true)
            {
                SecurityLog.TlsEndpoint(log, endpoint.Key, endpoint["ClientCertificateMode"] ?? nameof(ClientCertificateMode.NoCertificate));
            }
        }
    }

    /// <summary>
    /// An API endpoint needs role <paramref name="role"/> (unless <c>Auth:Enabled=false</c>); <paramref name="credentials"/>
    /// says which extra kinds of credential it takes (trusted networks, NRF tokens).
    /// </summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, IEndpointRouteBuilder app, string role, EndpointCredentials? credentials = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled)
        {
            return builder;
        }

        builder.RequireAuthorization(role);
        if (credentials is not null)
        {
            builder.WithMetadata(credentials);
        }

        return builder;
    }

    private static List<string> ClientCertificateEndpoints(ConfigurationManager config)
        => [.. config.GetSection("Kestrel:Endpoints").GetChildren()
            .Where(e => Enum.TryParse<ClientCertificateMode>(e["ClientCertificateMode"], ignoreCase: true, out var mode) && mode != ClientCertificateMode.NoCertificate)
            .Select(e => e.Key)];
}
