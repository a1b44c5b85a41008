using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Security;

/// <summary>Checks <see cref="AuthOptions"/> at start; every failure names the setting and what is wrong with it.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var certificateNames = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var keys = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Clients.Count; i++)
        {
            var c = options.Clients[i];
            var at = $"Auth:Clients:{i}";
            var hasKey = !string.IsNullOrEmpty(c.KeySha256);
            if (hasKey && (c.KeySha256.Length != 64 || !c.KeySha256.All(Uri.IsHexDigit)))
            {
                failures.Add($"{at}:KeySha256 must be 64 hex digits (SHA-256 of the key).");
            }
            else if (hasKey && !keys.TryAdd(c.KeySha256, i))
            {
                failures.Add($"{at}:KeySha256 is the same key as Auth:Clients:{keys[c.KeySha256]}.");
            }

            if (!hasKey && c.CertificateNames.All(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{at} ('{c.Name}') has neither a KeySha256 nor CertificateNames: it could never authenticate.");
            }

            for (var j = 0; j < c.CertificateNames.Count; j++)
            {
                var certName = c.CertificateNames[j];
                if (string.IsNullOrWhiteSpace(certName))
                {
                    failures.Add($"{at}:CertificateNames:{j} is empty.");
                }
                else if (!certificateNames.TryAdd(certName, i) && certificateNames[certName] != i)
                {
                    failures.Add($"{at}:CertificateNames:{j} '{certName}' also names Auth:Clients:{certificateNames[certName]}.");
                }
            }

            foreach (var role in c.Roles)
            {
                if (!Roles.All.Contains(role))
                {
                    failures.Add($"{at}:Roles has an unknown role '{role}' (known: {string.Join(", ", Roles.All)}).");
                }
            }
        }

        var ca = options.ClientCertificates.CaPath;
        if (!string.IsNullOrEmpty(ca))
        {
            failures.AddRange(Check("Auth:ClientCertificates:CaPath", () => PemFiles.ReadCertificates(ca)));
        }

        var oauth = options.Oauth2;
        if (oauth.ClockSkew < TimeSpan.Zero || oauth.ClockSkew > OAuth2Options.MaxClockSkew)
        {
            failures.Add($"Auth:Oauth2:ClockSkew must be from 0 to {OAuth2Options.MaxClockSkew.TotalSeconds:0} seconds (found {oauth.ClockSkew}).");
        }

        for (var i = 0; i < oauth.Issuers.Count; i++)
        {
            var issuer = oauth.Issuers[i];
            if (string.IsNullOrWhiteSpace(issuer.Issuer))
            {
                failures.Add($"Auth:Oauth2:Issuers:{i}:Issuer must be set (the NRF's nfInstanceId).");
            }

            if (string.IsNullOrWhiteSpace(issuer.SigningKeyPath))
            {
                failures.Add($"Auth:Oauth2:Issuers:{i}:SigningKeyPath must be set (the NRF's PEM public key or certificate).");
            }
            else
            {
                failures.AddRange(Check($"Auth:Oauth2:Issuers:{i}:SigningKeyPath", () => PemFiles.ReadSigningKey(issuer.SigningKeyPath)));
            }
        }

        for (var i = 0; i < options.TrustedNetworks.Count; i++)
        {
            if (!TrustedNetworks.TryParse(options.TrustedNetworks[i], out _))
            {
                failures.Add($"Auth:TrustedNetworks:{i} '{options.TrustedNetworks[i]}' is not a CIDR range (e.g. 10.20.0.0/16 or fd00::/8).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Check(string setting, Func<object> load)
    {
        try
        {
            load();
            return [];
        }
        catch (InvalidOperationException ex)
        {
            return [$"{setting}: {ex.Message}"];
        }
    }
}
