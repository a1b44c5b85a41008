using System.Security.Cryptography;
using System.Text;
using ImeiEir.Server.Security;
using Microsoft.Extensions.Options;

namespace ImeiEir.Fuzz;

/// <summary>
/// The credential path: a raw <c>authorization</c> header value to a client, as the node's credential handler
/// (<c>EirCredentialsHandler</c>) decides it: <see cref="ApiClients.FindByAuthorizationHeader"/>, and whether the
/// bearer would be routed to the NRF-token handler instead (<see cref="EndpointCredentials.IsJwt"/>; the token
/// itself is fuzzed by the <c>jwt</c> target). The keys are fixtures of this harness, not anyone's credentials.
/// </summary>
internal static class CredentialTarget
{
    /// <summary>The API keys of the fixture's clients (index = client).</summary>
    public static readonly string[] Keys = ["fuzz-check-key-0000", "fuzz-sync-key-0001"];

    private static readonly ApiClients Clients = new(Options.Create(new AuthOptions
    {
        Clients =
        [
            new ApiClientOptions { Name = "mme", KeySha256 = Sha256Hex(Keys[0]), Roles = [Roles.Check] },
            new ApiClientOptions { Name = "registry", KeySha256 = Sha256Hex(Keys[1]), Roles = [Roles.Sync, Roles.SelfService] },
        ],
    }));

    /// <summary>The entry under test: header value → client index, -1 for none.</summary>
    public static int Authenticate(string? authorization)
    {
        // The routing decision must not throw either (it runs on every N5g-eir request with a bearer).
        _ = EndpointCredentials.IsJwt(EndpointCredentials.BearerOf(authorization));
        return Clients.FindByAuthorizationHeader(authorization);
    }

    public static void Run(ReadOnlySpan<byte> data)
    {
        var header = data.IsEmpty ? null : Input.Text(data);
        var client = Authenticate(header);
        Invariant.That(client >= -1 && client < Keys.Length, "credential: a client index or -1");
        Invariant.That(client == Reference(header), "credential: the client the header names, per the reference (Bearer, case-insensitive, key trimmed)");

        // The second call takes the cache path for a known key: it must agree with the first.
        Invariant.That(Authenticate(header) == client, "credential: the same header authenticates the same way twice");
    }

    private static int Reference(string? header)
    {
        const string Scheme = "bearer ";
        if (header is null || header.Length < Scheme.Length || !header.AsSpan(0, Scheme.Length).Equals(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return -1;
        }

        return Array.IndexOf(Keys, header[Scheme.Length..].Trim());
    }

    private static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
