using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace ImeiEir.Cli;

/// <summary>
/// The options every command shares (given before or after the command), each with its environment variable: an
/// option given wins over the variable, an empty variable counts as unset.
/// </summary>
internal sealed class ConnectionOptions
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public Option<string> Server { get; } = new("--server")
    {
        Description = $"The node's gRPC endpoint, http:// or https:// [env: EIR_SERVER] [default: {DefaultServer}]",
        HelpName = "url",
        Recursive = true,
    };

    // No DefaultValueFactory reading EIR_KEY: help prints default values, and the key is a secret.
    public Option<string> Key { get; } = new("--key")
    {
        Description = "API key, sent as 'authorization: Bearer <key>' [env: EIR_KEY]",
        HelpName = "key",
        Recursive = true,
    };

    public Option<string> Ca { get; } = new("--ca")
    {
        Description = "PEM bundle of the CA(s) to trust for an https:// server, instead of the system's [env: EIR_CA]",
        HelpName = "pem",
        Recursive = true,
    };

    public Option<string> Cert { get; } = new("--cert")
    {
        Description = "PEM client certificate for mutual TLS (leaf first, then intermediates; may hold the key too) [env: EIR_CERT]",
        HelpName = "pem",
        Recursive = true,
    };

    public Option<string> CertKey { get; } = new("--cert-key")
    {
        Description = "PEM private key (unencrypted) of --cert [env: EIR_CERT_KEY]",
        HelpName = "pem",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Server, Key, Ca, Cert, CertKey];
}

/// <summary>
/// A resolved, checked connection: where the node is and how to authenticate to it. Everything is checked, and the
/// PEM files read, before anything is sent; a problem is a <see cref="UsageException"/> naming the option or variable.
/// </summary>
internal sealed class Connection
{
    private readonly Setting? _ca;
    private readonly Setting? _cert;
    private readonly Setting? _certKey;

    private Connection(Uri server, string? key, Setting? ca, Setting? cert, Setting? certKey)
    {
        Server = server;
        Key = key;
        _ca = ca;
        _cert = cert;
        _certKey = certKey;
    }

    public Uri Server { get; }

    public string? Key { get; }

    /// <summary>The value of an option or of its environment variable, and which of the two (for messages).</summary>
    private sealed record Setting(string Value, string Source);

    public static Connection Resolve(ParseResult parse, ConnectionOptions options, Func<string, string?> environment)
    {
        Setting? Get(Option<string> option, string variable)
        {
            var given = parse.GetValue(option);
            if (given is not null)
            {
                return new Setting(given, option.Name);
            }

            return environment(variable) is { Length: > 0 } fromEnvironment ? new Setting(fromEnvironment, variable) : null;
        }

        var server = Get(options.Server, "EIR_SERVER") ?? new Setting(ConnectionOptions.DefaultServer, "--server");
        if (!Uri.TryCreate(server.Value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"{server.Source} must be an http:// or https:// URL, got '{server.Value}'");
        }

        var ca = Get(options.Ca, "EIR_CA");
        var cert = Get(options.Cert, "EIR_CERT");
        var certKey = Get(options.CertKey, "EIR_CERT_KEY");
        if (certKey is not null && cert is null)
        {
            throw new UsageException($"{certKey.Source} needs a client certificate: give --cert (or EIR_CERT) too");
        }

        // TLS settings on a cleartext URL are a mistake (a key would go out unencrypted while the operator thinks
        // otherwise): refuse rather than ignore.
        if (uri.Scheme == Uri.UriSchemeHttp && (ca ?? cert) is { } tls)
        {
            throw new UsageException($"{tls.Source} applies to TLS only, but {server.Source} is '{server.Value}': use https://");
        }

        var key = Get(options.Key, "EIR_KEY")?.Value;
        return new Connection(uri, key, ca, cert, certKey);
    }

    /// <summary>The call headers: the API key, when there is one.</summary>
    public Metadata Headers()
    {
        var headers = new Metadata();
        if (!string.IsNullOrEmpty(Key))
        {
            headers.Add("authorization", "Bearer " + Key);
        }

        return headers;
    }

    /// <summary>A channel to the node; for https, trusting <c>--ca</c> and presenting <c>--cert</c> when given.</summary>
    public GrpcChannel OpenChannel()
    {
        // A connect timeout turns a black-holed address into UNAVAILABLE (exit 3) instead of a long hang.
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (_ca is not null)
        {
            handler.SslOptions.CertificateChainPolicy = TrustOnly(_ca);
        }

        if (_cert is not null)
        {
            handler.SslOptions.ClientCertificateContext = ClientCertificate(_cert, _certKey);
        }

        return GrpcChannel.ForAddress(Server, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>
    /// The server's certificate must chain to a CA of the bundle, and only to those (as curl's --cacert); the host name
    /// is still checked against it. No revocation check: a private CA rarely publishes one reachable from here.
    /// </summary>
    private static X509ChainPolicy TrustOnly(Setting ca)
    {
        var bundle = ReadCertificates(ca, "CA bundle");
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        foreach (var c in bundle)
        {
            // Roots anchor the chain; intermediates in the bundle only help build it.
            (c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData) ? policy.CustomTrustStore : policy.ExtraStore).Add(c);
        }

        if (policy.CustomTrustStore.Count == 0)
        {
            throw new UsageException($"{ca.Source}: '{ca.Value}' holds no root (self-signed) CA certificate to trust");
        }

        return policy;
    }

    private static SslStreamCertificateContext ClientCertificate(Setting cert, Setting? key)
    {
        var chain = ReadCertificates(cert, "certificate");
        X509Certificate2 leaf;
        try
        {
            // Without --cert-key the key is looked for in the certificate file itself.
            leaf = X509Certificate2.CreateFromPemFile(cert.Value, key?.Value);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // ArgumentException: a key that is not the certificate's.
            throw new UsageException(key is null
                ? $"{cert.Source}: '{cert.Value}' holds no private key; give it with --cert-key (or EIR_CERT_KEY) ({ex.Message})"
                : $"{key.Source}: '{key.Value}' is not an unencrypted PEM private key of the certificate in '{cert.Value}' ({ex.Message})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{key?.Source ?? cert.Source}: cannot read '{key?.Value ?? cert.Value}': {ex.Message}");
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral key (one read from PEM): give it a PKCS#12 round trip.
            using var ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(chain.Skip(1).ToArray());
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private static X509Certificate2Collection ReadCertificates(Setting file, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file.Value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{file.Source}: cannot read '{file.Value}': {ex.Message}");
        }
        catch (CryptographicException ex)
        {
            throw new UsageException($"{file.Source}: '{file.Value}' is not a PEM {what}: {ex.Message}");
        }

        return certificates.Count > 0 ? certificates : throw new UsageException($"{file.Source}: '{file.Value}' holds no PEM certificate");
    }
}
