using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Security;

/// <summary>
/// The configured clients (<c>Auth:Clients</c>) and how a credential names one: an API key (compared by SHA-256 in
/// constant time) or a client certificate (its DNS/URI subject-alternative names, else its subject CN). Each client has
/// one <see cref="ClaimsPrincipal"/> per credential kind, built once and shared by its requests (nobody mutates it), so
/// a request that authenticates allocates no claims. A key that matched once is remembered, so the check path does
/// not hash per call; a certificate's client is remembered per certificate object (one per TLS connection).
/// </summary>
public sealed class ApiClients
{
    /// <summary>Authentication type of a principal from an API key.</summary>
    public const string ApiKey = "api-key";

    /// <summary>Authentication type of a principal from a client certificate.</summary>
    public const string ClientCertificate = "client-certificate";

    /// <summary>Most remembered keys: bounds what unknown callers could make us hold (only matching keys are kept).</summary>
    private const int MaxRememberedKeys = 10_000;

    private readonly Client[] _clients;
    private readonly Dictionary<string, int> _byCertificateName = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _knownKeys = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<X509Certificate2, StrongBox<int>> _knownCertificates = [];

    public ApiClients(IOptions<AuthOptions> options)
    {
        var clients = options.Value.Clients;
        _clients = new Client[clients.Count];
        for (var i = 0; i < clients.Count; i++)
        {
            var c = clients[i];
            var name = string.IsNullOrEmpty(c.Name) ? $"client{i}" : c.Name;
            _clients[i] = new Client(
                name,
                string.IsNullOrEmpty(c.KeySha256) ? null : Convert.FromHexString(c.KeySha256),
                Principal(name, ApiKey, c.Roles),
                Principal(name, ClientCertificate, c.Roles));
            foreach (var certificateName in c.CertificateNames)
            {
                _byCertificateName.TryAdd(certificateName.Trim(), i);
            }
        }
    }

    public int Count => _clients.Length;

    /// <summary>The client an <c>authorization</c> header's bearer key names (-1: none, or not <c>Bearer &lt;key&gt;</c>).</summary>
    public int FindByAuthorizationHeader(string? authorization) => FindByKey(EndpointCredentials.BearerOf(authorization));

    /// <summary>The client whose key this is (-1: none).</summary>
    public int FindByKey(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty)
        {
            return -1;
        }

        var lookup = _knownKeys.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(key, out var known))
        {
            return known;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = new byte[Encoding.UTF8.GetByteCount(key)];
        Encoding.UTF8.GetBytes(key, bytes);
        SHA256.HashData(bytes, hash);
        for (var i = 0; i < _clients.Length; i++)
        {
            if (_clients[i].KeyHash is { } expected && CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                if (_knownKeys.Count < MaxRememberedKeys)
                {
                    _knownKeys[key.ToString()] = i;
                }

                return i;
            }
        }

        return -1;
    }

    /// <summary>The client a (validated) certificate names (-1: none).</summary>
    public int FindByCertificate(X509Certificate2 certificate)
    {
        if (_knownCertificates.TryGetValue(certificate, out var known))
        {
            return known.Value;
        }

        var found = -1;
        foreach (var name in NamesOf(certificate))
        {
            if (_byCertificateName.TryGetValue(name, out var i))
            {
                found = i;
                break;
            }
        }

        _knownCertificates.AddOrUpdate(certificate, new StrongBox<int>(found));
        return found;
    }

    public ClaimsPrincipal PrincipalOf(int client, string authenticationType)
        => authenticationType == ClientCertificate ? _clients[client].ByCertificate : _clients[client].ByKey;

    public string NameOf(int client) => client >= 0 && client < _clients.Length ? _clients[client].Name : "";

    /// <summary>
    /// The names a certificate is known by: its DNS and URI subject-alternative names; only when it has none of those,
    /// its subject CN (RFC 6125 §6.4.4 takes the same precedence).
    /// </summary>
    public static IReadOnlyList<string> NamesOf(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == "2.5.29.17")
            {
                ReadSubjectAltNames(extension.RawData, names);
            }
        }

        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } cn)
        {
            names.Add(cn);
        }

        return names;
    }

    private static void ReadSubjectAltNames(byte[] der, List<string> names)
    {
        // GeneralNames ::= SEQUENCE OF GeneralName; dNSName [2] IA5String, uniformResourceIdentifier [6] IA5String.
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 2 or 6)
                {
                    names.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                }
                else
                {
                    sequence.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension names nobody; chain validation has already judged the certificate.
        }
    }

    private static ClaimsPrincipal Principal(string name, string authenticationType, IEnumerable<string> roles)
    {
        var identity = new ClaimsIdentity(authenticationType, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        foreach (var role in roles.Distinct(StringComparer.Ordinal))
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return new ClaimsPrincipal(identity);
    }

    private sealed record Client(string Name, byte[]? KeyHash, ClaimsPrincipal ByKey, ClaimsPrincipal ByCertificate);
}
