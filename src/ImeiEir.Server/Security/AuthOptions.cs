namespace ImeiEir.Server.Security;

/// <summary>
/// Who may call what (configuration section <c>Auth</c>): API clients with keys and/or certificate names, the CA that
/// client certificates must chain to, the NRFs whose OAuth2 access tokens N5g-eir accepts, and the networks whose
/// cores may check without any credential. <c>docs/security.md</c> has the threat model behind these choices.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// Default true. False turns authentication off for every API (logged at Critical at start): only for a node on a
    /// network protected otherwise, never in production.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>Auth:Clients:{i}</c>. With auth on and no clients, issuers or trusted networks, every call is refused.</summary>
    public List<ApiClientOptions> Clients { get; set; } = [];

    /// <summary><c>Auth:ClientCertificates</c>: how client certificates (mutual TLS) are validated.</summary>
    public ClientCertificateOptions ClientCertificates { get; set; } = new();

    /// <summary><c>Auth:Oauth2</c>: NRF-issued access tokens on N5g-eir (TS 33.501 §13.4.1).</summary>
    public OAuth2Options Oauth2 { get; set; } = new();

    /// <summary>
    /// <c>Auth:TrustedNetworks:{i}</c>: CIDR ranges (IPv4 or IPv6, e.g. <c>10.20.0.0/16</c>, <c>fd00::/8</c>) whose
    /// requests without any credential get role <c>check</c>, and nothing else, on gRPC EquipmentCheck and N5g-eir.
    /// For cores that send no credential (Open5GS' AMF). Default empty. Logged at Warning at start.
    /// </summary>
    public List<string> TrustedNetworks { get; set; } = [];
}

/// <summary>
/// One client: <c>Auth:Clients:{i}:Name</c>, <c>KeySha256</c>, <c>CertificateNames:{j}</c>, <c>Roles:{j}</c>. A client
/// has a key, certificate names, or both; each grants the same roles.
/// </summary>
public sealed class ApiClientOptions
{
    /// <summary>Shown in logs and audit (default <c>client{i}</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the API key (the key itself is never configured). Empty: no key.</summary>
    public string KeySha256 { get; set; } = "";

    /// <summary>
    /// A client certificate names this client when one of its DNS or URI subject-alternative names (else, when it has
    /// none, its subject CN) equals one of these, compared case-insensitively. Default empty.
    /// </summary>
    public List<string> CertificateNames { get; set; } = [];

    /// <summary><c>check</c>, <c>selfservice</c>, <c>sync</c>.</summary>
    public List<string> Roles { get; set; } = [];
}

/// <summary><c>Auth:ClientCertificates</c>.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>
    /// PEM bundle of the CAs client certificates must chain to (not the system store). Required when an endpoint asks
    /// for client certificates (<c>Kestrel:Endpoints:{name}:ClientCertificateMode</c>). Re-read when the file changes.
    /// Default empty.
    /// </summary>
    public string CaPath { get; set; } = "";
}

/// <summary><c>Auth:Oauth2</c>.</summary>
public sealed class OAuth2Options
{
    /// <summary>The most clock difference tolerated on <c>exp</c>/<c>nbf</c>; at most (and default) 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = MaxClockSkew;

    /// <summary><c>Auth:Oauth2:Issuers:{i}</c>: the NRFs whose tokens are accepted. Default empty: no token accepted.</summary>
    public List<TokenIssuerOptions> Issuers { get; set; } = [];

    /// <summary>The bound on clock skew.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(30);
}

/// <summary><c>Auth:Oauth2:Issuers:{i}:Issuer</c> and <c>:SigningKeyPath</c>.</summary>
public sealed class TokenIssuerOptions
{
    /// <summary>The NRF's nfInstanceId: the token's <c>iss</c> claim (TS 29.510 AccessTokenClaims).</summary>
    public string Issuer { get; set; } = "";

    /// <summary>
    /// PEM file with the NRF's public key (<c>BEGIN PUBLIC KEY</c>) or certificate; ES256 (P-256) or RS256 (RSA ≥ 2048).
    /// Re-read when the file changes.
    /// </summary>
    public string SigningKeyPath { get; set; } = "";
}
