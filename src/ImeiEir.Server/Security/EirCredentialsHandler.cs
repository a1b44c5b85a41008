using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Security;

/// <summary>
/// The node's own credentials, in this order: an API key (<c>authorization: Bearer &lt;key&gt;</c>), else a client
/// certificate the TLS handshake accepted, else — only on endpoints that allow it and only with no credential at all —
/// a source address in <c>Auth:TrustedNetworks</c>. A credential that is present but names no client fails (401); it
/// never falls through to the next kind. NRF access tokens go to the JwtBearer handler instead
/// (<see cref="SecurityServiceCollectionExtensions"/> picks per request).
/// </summary>
internal sealed class EirCredentialsHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{

    /// <summary>Authentication type of the principal a trusted network gets.</summary>
    public const string TrustedNetwork = "trusted-network";

    private static readonly ClaimsPrincipal TrustedNetworkPrincipal = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, TrustedNetwork), new Claim(ClaimTypes.Role, Roles.Check)], TrustedNetwork, ClaimTypes.Name, ClaimTypes.Role));

    private readonly ApiClients _clients;
    private readonly TrustedNetworks _trusted;

    public EirCredentialsHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiClients clients, TrustedNetworks trusted)
        : base(options, logger, encoder)
    {
        _clients = clients;
        _trusted = trusted;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            var client = _clients.FindByAuthorizationHeader(authorization);
            return Task.FromResult(client < 0
                ? AuthenticateResult.Fail(EndpointCredentials.BearerOf(authorization).IsEmpty ? "unsupported authorization header (expected: Bearer <key>)" : "unknown API key")
                : Success(_clients.PrincipalOf(client, ApiClients.ApiKey)));
        }

        if (Context.Connection.ClientCertificate is { } certificate)
        {
            var client = _clients.FindByCertificate(certificate);
            return Task.FromResult(client < 0
                ? AuthenticateResult.Fail("the client certificate names no configured client")
                : Success(_clients.PrincipalOf(client, ApiClients.ClientCertificate)));
        }

        if (Context.GetEndpoint()?.Metadata.GetMetadata<EndpointCredentials>() is { TrustedNetworks: true }
            && _trusted.Contains(Context.Connection.RemoteIpAddress))
        {
            return Task.FromResult(Success(TrustedNetworkPrincipal));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    private AuthenticateResult Success(ClaimsPrincipal principal) => AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
}
