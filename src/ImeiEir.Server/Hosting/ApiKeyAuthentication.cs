using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ImeiEir.Server.Hosting;

/// <summary>API-key clients (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Default true. False turns authentication off for every API (logged as a critical warning at start).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The clients. With auth on and no clients, every call is refused.</summary>
    public List<ApiClientOptions> Clients { get; set; } = [];
}

/// <summary>One client: <c>Auth:Clients:{i}:Name</c>, <c>KeySha256</c>, <c>Roles:{j}</c>.</summary>
public sealed class ApiClientOptions
{
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the key (the key itself is never configured).</summary>
    public string KeySha256 { get; set; } = "";

    /// <summary><c>check</c>, <c>selfservice</c>, <c>sync</c>.</summary>
    public List<string> Roles { get; set; } = [];
}

/// <summary>The roles the contract names.</summary>
public static class Roles
{
    public const string Check = "check";
    public const string SelfService = "selfservice";
    public const string Sync = "sync";

    public static readonly string[] All = [Check, SelfService, Sync];
}

/// <summary>
/// <c>authorization: Bearer &lt;key&gt;</c> → client → roles. Keys are compared by SHA-256 in constant time; a key
/// that matched once is remembered so the check path does not hash per call.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    private readonly (string Name, byte[] Hash, HashSet<string> Roles)[] _clients;
    private readonly ConcurrentDictionary<string, int> _known = new(StringComparer.Ordinal);

    public ApiKeyAuthenticator(AuthOptions options)
    {
        Enabled = options.Enabled;
        _clients = [.. options.Clients.Select((c, i) => (
            string.IsNullOrEmpty(c.Name) ? $"client{i}" : c.Name,
            ParseHash(c.KeySha256, i),
            new HashSet<string>(c.Roles, StringComparer.Ordinal)))];
        foreach (var c in options.Clients)
        {
            foreach (var role in c.Roles)
            {
                if (!Roles.All.Contains(role))
                {
                    throw new InvalidOperationException($"Auth:Clients '{c.Name}' has an unknown role '{role}' (known: {string.Join(", ", Roles.All)}).");
                }
            }
        }
    }

    public bool Enabled { get; }

    public int ClientCount => _clients.Length;

    private static byte[] ParseHash(string hex, int index)
    {
        if (hex is null || hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new InvalidOperationException($"Auth:Clients:{index}:KeySha256 must be 64 hex digits (SHA-256 of the key).");
        }

        return Convert.FromHexString(hex);
    }

    /// <summary>Which client the header names (-1: none), from a raw <c>authorization</c> header value.</summary>
    public int Authenticate(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return -1;
        }

        var key = authorization[7..].Trim();
        if (key.Length == 0)
        {
            return -1;
        }

        if (_known.TryGetValue(key, out var cached))
        {
            return cached;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        for (var i = 0; i < _clients.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, _clients[i].Hash))
            {
                if (_known.Count < 10_000)
                {
                    _known[key] = i;
                }

                return i;
            }
        }

        return -1;
    }

    public bool HasRole(int client, string role) => client >= 0 && _clients[client].Roles.Contains(role);

    public string NameOf(int client) => client >= 0 ? _clients[client].Name : "";
}
