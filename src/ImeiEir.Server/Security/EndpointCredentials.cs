namespace ImeiEir.Server.Security;

/// <summary>
/// Endpoint metadata: which credentials beyond API keys and client certificates an endpoint takes. Read from the
/// endpoint routing chose (not from the path), so another spelling of a path cannot change it.
/// </summary>
public sealed class EndpointCredentials
{
    /// <summary>gRPC EquipmentCheck: trusted networks too.</summary>
    public static readonly EndpointCredentials GrpcCheck = new(trustedNetworks: true, nrfTokens: false);

    /// <summary>N5g-eir: trusted networks and NRF access tokens too.</summary>
    public static readonly EndpointCredentials N5gEir = new(trustedNetworks: true, nrfTokens: true);

    private EndpointCredentials(bool trustedNetworks, bool nrfTokens)
    {
        TrustedNetworks = trustedNetworks;
        NrfTokens = nrfTokens;
    }

    /// <summary>A request without credentials from <c>Auth:TrustedNetworks</c> gets role check.</summary>
    public bool TrustedNetworks { get; }

    /// <summary>A bearer that is a JWT is validated as an NRF-issued OAuth2 access token.</summary>
    public bool NrfTokens { get; }

    /// <summary>Whether a request carries an NRF access token for an endpoint that takes one (a JWT, not an API key).</summary>
    public static bool CarriesNrfToken(HttpContext context)
        => context.GetEndpoint()?.Metadata.GetMetadata<EndpointCredentials>() is { NrfTokens: true }
            && IsJwt(BearerOf(context.Request.Headers.Authorization.ToString()));

    /// <summary>The bearer credential of an <c>authorization</c> header, empty when there is none.</summary>
    public static ReadOnlySpan<char> BearerOf(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        return authorization.AsSpan(7).Trim();
    }

    /// <summary>
    /// A compact JWS (<c>header.payload.signature</c>, the header a base64url JSON object). API keys must not have this
    /// shape on N5g-eir (docs/security.md); everything else is taken as a key.
    /// </summary>
    public static bool IsJwt(ReadOnlySpan<char> bearer)
        => bearer.StartsWith("eyJ", StringComparison.Ordinal) && bearer.Count('.') == 2;
}
