using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace ImeiEir.Server.Tests.Security;

/// <summary>One HTTP answer as a TLS client saw it (status 0: no answer, the connection was refused).</summary>
public sealed record TlsResponse(int Status, string Body, string? WwwAuthenticate, string? Protocol, string? Error)
{
    public bool Refused => Status == 0;
}

/// <summary>
/// Clients over real TLS: Grpc.Net.Client and HttpClient (HTTP/2 by ALPN) trusting only the test CA, optionally with
/// a client certificate; and curl, an independent TLS and HTTP/2 stack (OpenSSL, nghttp2).
/// </summary>
public static class TlsClients
{
    public static SocketsHttpHandler Handler(X509Certificate2 trustCa, X509Certificate2? clientCertificate = null, SslProtocols protocols = SslProtocols.None)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && ChainsTo(new X509Certificate2(certificate), trustCa),
        };
        if (clientCertificate is not null)
        {
            // Always offer it (the server sends no list of acceptable CAs to choose by).
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
            ssl.ClientCertificates = [clientCertificate];
        }

        return new SocketsHttpHandler { SslOptions = ssl, PooledConnectionLifetime = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(10) };
    }

    public static GrpcChannel Channel(int port, X509Certificate2 trustCa, X509Certificate2? clientCertificate = null)
        => GrpcChannel.ForAddress($"https://localhost:{port}", new GrpcChannelOptions { HttpHandler = Handler(trustCa, clientCertificate) });

    /// <summary>GET over HTTP/2 + TLS with .NET's client, on a new connection.</summary>
    public static async Task<TlsResponse> GetAsync(int port, string pathAndQuery, X509Certificate2 trustCa, X509Certificate2? clientCertificate = null, string? bearer = null)
    {
        using var http = new HttpClient(Handler(trustCa, clientCertificate)) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}{pathAndQuery}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        try
        {
            using var response = await http.SendAsync(request);
            return new TlsResponse(
                (int)response.StatusCode,
                await response.Content.ReadAsStringAsync(),
                response.Headers.WwwAuthenticate.ToString() is { Length: > 0 } w ? w : null,
                response.Version.ToString(),
                null);
        }
        catch (HttpRequestException ex)
        {
            return new TlsResponse(0, "", null, null, ex.Message);
        }
    }

    /// <summary>GET with curl over HTTP/2 + TLS (ALPN); status 0 when curl got no HTTP answer.</summary>
    public static async Task<TlsResponse> CurlAsync(
        int port, string pathAndQuery, string caPath, IssuedCertificateFiles? client = null, string? bearer = null, params string[] extra)
    {
        var body = Path.GetTempFileName();
        var headers = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo(File.Exists("/usr/bin/curl") ? "/usr/bin/curl" : "curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--http2", "--silent", "--show-error", "--max-time", "30", "--globoff", "--cacert", caPath, "--output", body, "--dump-header", headers, "--write-out", "%{http_code}\n%{http_version}" })
            {
                psi.ArgumentList.Add(a);
            }

            if (client is not null)
            {
                psi.ArgumentList.Add("--cert");
                psi.ArgumentList.Add(client.CertificatePath);
                psi.ArgumentList.Add("--key");
                psi.ArgumentList.Add(client.KeyPath);
            }

            if (bearer is not null)
            {
                psi.ArgumentList.Add("--header");
                psi.ArgumentList.Add("Authorization: Bearer " + bearer);
            }

            foreach (var a in extra)
            {
                psi.ArgumentList.Add(a);
            }

            psi.ArgumentList.Add($"https://localhost:{port}{pathAndQuery}");
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("curl did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var lines = (await stdout).Split('\n');
            var status = int.TryParse(lines[0], out var s) ? s : 0;
            if (process.ExitCode != 0 || status == 0)
            {
                return new TlsResponse(0, "", null, null, $"curl exited {process.ExitCode}: {await stderr}");
            }

            var www = (await File.ReadAllLinesAsync(headers)).FirstOrDefault(l => l.StartsWith("www-authenticate:", StringComparison.OrdinalIgnoreCase));
            return new TlsResponse(status, await File.ReadAllTextAsync(body), www?[(www.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), lines.ElementAtOrDefault(1), null);
        }
        finally
        {
            File.Delete(body);
            File.Delete(headers);
        }
    }

    /// <summary>The server certificate a new TLS connection is given (to see a rotation).</summary>
    public static async Task<X509Certificate2> ServerCertificateAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate2? seen = null;
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, c, _, _) =>
            {
                seen = c is null ? null : new X509Certificate2(c);
                return true;
            },
        });
        return seen ?? throw new InvalidOperationException("no server certificate");
    }

    /// <summary>The TLS version and ALPN protocol a new connection negotiates.</summary>
    public static async Task<(SslProtocols Protocol, string Alpn)> NegotiateAsync(int port, X509Certificate2 trustCa, SslProtocols protocols)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && ChainsTo(new X509Certificate2(c), trustCa),
        });
        return (ssl.SslProtocol, ssl.NegotiatedApplicationProtocol.ToString());
    }

    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}

/// <summary>The PEM files of a client certificate, for curl.</summary>
public sealed record IssuedCertificateFiles(string CertificatePath, string KeyPath);
