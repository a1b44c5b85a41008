using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace ImeiEir.Server.Security;

/// <summary>
/// NRF access tokens already validated, until they expire. An AMF presents the same token on every request until
/// it expires (TS 33.501 §13.4.1), and verifying its ES256 signature costs ~70–150 µs of CPU per request (measured:
/// bench/RESULTS.md, "Security"), so a token is verified once and its principal reused. An entry is used only while
/// the token's <c>exp</c> is in the future and its issuer's signing key is still the one that verified it (a replaced
/// key file drops every token it signed). Bounded: when full, it is emptied (tokens are then verified again).
/// </summary>
internal sealed class TokenCache(TimeProvider time)
{
    /// <summary>Most tokens remembered (a core has a handful of AMFs, each with one token at a time per NRF).</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>The principal of a token validated earlier, when still usable with <paramref name="currentKey"/>.</summary>
    public bool TryGet(ReadOnlySpan<char> token, Func<string, SecurityKey?> currentKey, out ClaimsPrincipal principal)
    {
        // Looked up by the span of the request's header: no string per request.
        principal = null!;
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(token, out var entry))
        {
            return false;
        }

        if (time.GetUtcNow().UtcDateTime >= entry.ValidTo || !ReferenceEquals(currentKey(entry.Issuer), entry.Key))
        {
            lookup.TryRemove(token, out _);
            return false;
        }

        principal = entry.Principal;
        return true;
    }

    public void Add(string token, ClaimsPrincipal principal, DateTime validTo, string issuer, SecurityKey key)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        _entries[token] = new Entry(principal, validTo, issuer, key);
    }

    private sealed record Entry(ClaimsPrincipal Principal, DateTime ValidTo, string Issuer, SecurityKey Key);
}
