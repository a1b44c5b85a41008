using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// How a node connects to Redis: <c>Redis:Configuration</c> with the secret and TLS settings beside it applied
/// (<c>Redis:PasswordFile</c>, <c>Redis:CaPath</c>, <c>Redis:ClientCertificate</c>). The same reading of the files
/// checks them at start (<see cref="Validate"/>), so a wrong path stops the node with the setting named.
/// </summary>
internal static partial class RedisConnection
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>The options StackExchange.Redis connects with, built from <paramref name="options"/>.</summary>
    public static ConfigurationOptions Build(RedisOptions options)
    {
        // CONFIG is taken off the command map: StackExchange.Redis only reads a few settings with it at connect, which
        // the node does not need, and CONFIG GET can read secrets (masterauth), so the node's ACL user is not granted it
        // (deploy/redis/users.acl). Appended last, so it wins over a `$CONFIG=` of the string; other renames stay.
        var config = ConfigurationOptions.Parse(options.Configuration + ",$CONFIG=");
        // No CLIENT SETINFO (library name and version in CLIENT LIST; the client name "imeieir" stays): Redis 7.0 does
        // not know the subcommand, so an ACL file granting it would not load there, and one that does not grant it
        // fills the ACL log of Redis 7.2 and later.
        config.SetClientLibrary = false;
        if (!string.IsNullOrEmpty(options.PasswordFile))
        {
            config.Password = ReadPassword(options.PasswordFile);
        }

        if (!string.IsNullOrEmpty(options.CaPath) || !string.IsNullOrEmpty(options.ClientCertificate.Path))
        {
            // Our own TLS options for each connection (this replaces StackExchange.Redis' certificate handling): the
            // files are read again on every connection, so a renewed certificate or CA bundle needs no restart.
            var protocols = config.SslProtocols ?? SslProtocols.None;
            config.SslClientAuthenticationOptions = host => ClientAuthentication(host, protocols, options);
        }

        return config;
    }

    /// <summary>The configuration as it may be logged: the password (from the string or the file) masked.</summary>
    public static string ForLog(ConfigurationOptions config) => config.ToString(includePassword: false);

    /// <summary>Checks the settings and reads every file once; throws <see cref="ArgumentException"/> naming the setting.</summary>
    public static void Validate(RedisOptions options)
    {
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException("Redis:Configuration cannot be parsed: " + WithoutPassword(ex.Message, options.Configuration));
        }

        if (!string.IsNullOrEmpty(options.PasswordFile))
        {
            _ = ReadPassword(options.PasswordFile);
        }

        if (!string.IsNullOrEmpty(options.CaPath))
        {
            if (!config.Ssl)
            {
                throw new ArgumentException("Redis:CaPath is set but Redis:Configuration has no ssl=true: the connection would not use TLS.");
            }

            try
            {
                using var ca = new DisposableCollection(LoadCa(options.CaPath));
                if (ca.Certificates.Count == 0)
                {
                    throw new ArgumentException($"Redis:CaPath '{options.CaPath}' holds no PEM certificate.");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ArgumentException($"Redis:CaPath '{options.CaPath}' cannot be read: {ex.Message}");
            }
        }

        var client = options.ClientCertificate;
        if (string.IsNullOrEmpty(client.Path))
        {
            if (!string.IsNullOrEmpty(client.KeyPath))
            {
                throw new ArgumentException("Redis:ClientCertificate:KeyPath is set but Redis:ClientCertificate:Path is not.");
            }

            return;
        }

        if (!config.Ssl)
        {
            throw new ArgumentException("Redis:ClientCertificate:Path is set but Redis:Configuration has no ssl=true.");
        }

        try
        {
            using var context = LoadClientCertificate(client);
            if (!context.Certificate.HasPrivateKey)
            {
                throw new ArgumentException($"Redis:ClientCertificate:Path '{client.Path}' has no private key (set Redis:ClientCertificate:KeyPath).");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"Redis:ClientCertificate:Path / KeyPath ('{client.Path}', '{client.KeyPath}') cannot be loaded: {ex.Message}");
        }
    }

    /// <summary>The password in <c>Redis:PasswordFile</c>: the file's content without its trailing newline.</summary>
    public static string ReadPassword(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The exception's own text names the path and the cause, never the content.
            throw new ArgumentException($"Redis:PasswordFile '{path}' cannot be read: {ex.Message}");
        }

        var password = text.TrimEnd('\r', '\n');
        return password.Length > 0 ? password : throw new ArgumentException($"Redis:PasswordFile '{path}' is empty.");
    }

    // One connection's TLS: the server's chain must end at a CA of Redis:CaPath (the system store is not consulted)
    // and name the host; our client certificate with the intermediates of its file.
    private static SslClientAuthenticationOptions ClientAuthentication(string host, SslProtocols protocols, RedisOptions options)
    {
        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = protocols,
            // As for the NRF and Diameter peers: an operator PKI seldom publishes CRLs reachable from where nodes run.
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            EncryptionPolicy = EncryptionPolicy.RequireEncryption,
        };
        if (!string.IsNullOrEmpty(options.CaPath))
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.ApplicationPolicy.Add(ServerAuthentication);
            policy.CustomTrustStore.AddRange(LoadCa(options.CaPath));
            tls.CertificateChainPolicy = policy;
        }

        if (!string.IsNullOrEmpty(options.ClientCertificate.Path))
        {
            tls.ClientCertificateContext = LoadClientCertificate(options.ClientCertificate).Context;
        }

        return tls;
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return collection;
    }

    // The leaf (with its key) and the further certificates of its file, sent as the chain (offline: no fetching).
    private static ClientCertificate LoadClientCertificate(RedisClientCertificateOptions options)
    {
        var keyPath = string.IsNullOrEmpty(options.KeyPath) ? null : options.KeyPath;
        var certificate = X509Certificate2.CreateFromPemFile(options.Path, keyPath);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(options.Path);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (c.Thumbprint == certificate.Thumbprint)
            {
                c.Dispose();
            }
            else
            {
                intermediates.Add(c);
            }
        }

        return new ClientCertificate(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true));
    }

    // The value of password= replaced in a text that might quote the configuration string.
    private static string WithoutPassword(string text, string configuration)
    {
        var match = PasswordPattern().Match(configuration);
        return match.Success && match.Groups[1].Value.Trim().Length > 0
            ? text.Replace(match.Groups[1].Value.Trim(), "*****", StringComparison.Ordinal)
            : text;
    }

    [GeneratedRegex(@"(?:^|,)\s*password\s*=([^,]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPattern();

    private sealed record ClientCertificate(X509Certificate2 Certificate, SslStreamCertificateContext Context) : IDisposable
    {
        public void Dispose() => Certificate.Dispose();
    }

    private sealed class DisposableCollection(X509Certificate2Collection certificates) : IDisposable
    {
        public X509Certificate2Collection Certificates => certificates;

        public void Dispose()
        {
            foreach (var c in certificates)
            {
                c.Dispose();
            }
        }
    }
}
