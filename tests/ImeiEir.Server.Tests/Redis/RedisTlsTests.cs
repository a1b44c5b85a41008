using System.Net;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Server.Tests.Security;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Redis;

/// <summary>
/// Redis over TLS (<c>ssl=true</c>): the server's certificate must chain to <c>Redis:CaPath</c> and name the host;
/// with <c>tls-auth-clients yes</c> the node presents <c>Redis:ClientCertificate</c>. A refused connection leaves the
/// node not ready and says why in the log.
/// </summary>
public sealed class RedisTlsTests : IDisposable
{
    private readonly TestPki _pki = new("ImeiEir Test Redis CA");

    [Fact]
    public async Task Ssl_ServerFromCaPath_NodeSyncsAndChecks()
    {
        await using var redis = await StartRedisAsync(_pki.IssueLoopbackServer("redis"));

        await using var node = await TestNode.StartAsync(redis.Configuration + ",ssl=true", new Dictionary<string, string?> { ["Redis:CaPath"] = _pki.CaPath });
        var ack = await node.ApplyOneAsync("t1", D.Register("dev-1", Ids.Registered14));
        var check = await node.CheckAsync(Ids.Registered14, Ids.BoundMsisdn);

        Assert.True(ack.Accepted, ack.Error);
        Assert.Equal(Reason.Registered, check.Reason);
        Assert.Equal("1", (await redis.Cli("GET", "eir:seq"))[0]);
    }

    [Fact]
    public async Task Ssl_ServerFromAnotherCa_NotReadyAndLogged()
    {
        using var other = new TestPki("Another CA");
        await using var redis = await StartRedisAsync(other.IssueLoopbackServer("redis"));

        await RefusedAsync(redis.Configuration + ",ssl=true", new() { ["Redis:CaPath"] = _pki.CaPath }, "failed at Tls (AuthenticationFailure): AuthenticationException: The remote certificate is invalid: RemoteCertificateChainErrors");
    }

    [Fact]
    public async Task Ssl_PrivateCaWithoutCaPath_NotTrusted()
    {
        await using var redis = await StartRedisAsync(_pki.IssueLoopbackServer("redis"));

        await RefusedAsync(redis.Configuration + ",ssl=true", [], "failed at Tls (AuthenticationFailure): AuthenticationException: The remote certificate is invalid: RemoteCertificateChainErrors");
    }

    [Fact]
    public async Task Ssl_ServerCertificateForAnotherName_NotReadyAndLogged()
    {
        await using var redis = await StartRedisAsync(_pki.Issue("redis", "redis.elsewhere.example", CertificateUsage.Server, dnsNames: ["redis.elsewhere.example"]));

        await RefusedAsync(redis.Configuration + ",ssl=true", new() { ["Redis:CaPath"] = _pki.CaPath }, "failed at Tls (AuthenticationFailure): AuthenticationException: The remote certificate is invalid: RemoteCertificateNameMismatch");
    }

    [Theory]
    [InlineData("client-usage", "NotValidForUsage")]
    [InlineData("expired", "NotTimeValid")]
    public async Task Ssl_ServerCertificateWrongUsageOrExpired_NotReadyAndLogged(string which, string chainStatus)
    {
        IPAddress[] loopback = [IPAddress.Loopback];
        var certificate = which == "expired"
            ? _pki.IssueLoopbackServer("redis", notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1))
            : _pki.Issue("redis", "localhost", CertificateUsage.Client, dnsNames: ["localhost"], ipAddresses: loopback);
        await using var redis = await StartRedisAsync(certificate);

        await RefusedAsync(redis.Configuration + ",ssl=true", new() { ["Redis:CaPath"] = _pki.CaPath }, chainStatus);
    }

    [Fact]
    public async Task TlsAuthClientsYes_WithClientCertificate_NodeSyncs()
    {
        var client = _pki.Issue("node", "imeieir-node-1", CertificateUsage.Client);
        await using var redis = await StartRedisAsync(_pki.IssueLoopbackServer("redis"), "yes");

        await using var node = await TestNode.StartAsync(redis.Configuration + ",ssl=true", new Dictionary<string, string?>
        {
            ["Redis:CaPath"] = _pki.CaPath,
            ["Redis:ClientCertificate:Path"] = client.CertificatePath,
            ["Redis:ClientCertificate:KeyPath"] = client.KeyPath,
        });
        var ack = await node.ApplyOneAsync("t1", D.Stolen(Ids.Stolen14));

        Assert.True(ack.Accepted, ack.Error);
        Assert.Equal(Reason.Stolen, (await node.CheckAsync(Ids.Stolen14, Ids.BoundMsisdn)).Reason);
    }

    [Fact]
    public async Task TlsAuthClientsYes_WithoutClientCertificate_NotReadyAndLogged()
    {
        await using var redis = await StartRedisAsync(_pki.IssueLoopbackServer("redis"), "yes");

        // The server ends the handshake when no certificate comes; the client sees it on its first read.
        await RefusedAsync(redis.Configuration + ",ssl=true", new() { ["Redis:CaPath"] = _pki.CaPath }, "failed at Handshake (SocketFailure)");
    }

    [Theory]
    [InlineData("Redis:CaPath", "/nonexistent/ca.pem", true, "Redis:CaPath '/nonexistent/ca.pem' cannot be read")]
    [InlineData("Redis:CaPath", "{ca}", false, "Redis:CaPath is set but Redis:Configuration has no ssl=true")]
    [InlineData("Redis:CaPath", "{key}", true, "Redis:CaPath '{key}' holds no PEM certificate")]
    [InlineData("Redis:ClientCertificate:Path", "{ca}", true, "Redis:ClientCertificate:Path / KeyPath")]
    [InlineData("Redis:ClientCertificate:Path", "{cert}", false, "Redis:ClientCertificate:Path is set but Redis:Configuration has no ssl=true")]
    [InlineData("Redis:ClientCertificate:KeyPath", "{key}", true, "Redis:ClientCertificate:KeyPath is set but Redis:ClientCertificate:Path is not")]
    public async Task Start_BadTlsSetting_RefusedNamingIt(string key, string value, bool ssl, string expected)
    {
        var client = _pki.Issue("node", "imeieir-node-1", CertificateUsage.Client);
        string Fill(string s) => s.Replace("{ca}", _pki.CaPath, StringComparison.Ordinal).Replace("{key}", client.KeyPath, StringComparison.Ordinal).Replace("{cert}", client.CertificatePath, StringComparison.Ordinal);

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync($"127.0.0.1:{RedisServer.FreePort()}" + (ssl ? ",ssl=true" : ""), new Dictionary<string, string?> { [key] = Fill(value) }, waitReady: false);
        });

        Assert.Contains(Fill(expected), ex.ToString(), StringComparison.Ordinal);
    }

    private async Task<RedisServer> StartRedisAsync(IssuedCertificate server, string authClients = "no")
    {
        var redis = new RedisServer
        {
            Tls = new RedisServerTls(server.CertificatePath, server.KeyPath, _pki.CaPath, authClients)
            {
                CliCertificate = authClients == "no" ? null : _pki.Issue("cli", "redis-cli", CertificateUsage.Client),
            },
        };
        await redis.StartAsync();
        return redis;
    }

    // Starts a node that cannot connect; waits for the log line saying why (a failed connection attempt that says
    // <paramref name="why"/>), and checks the node is not ready.
    private static async Task RefusedAsync(string configuration, Dictionary<string, string?> settings, string why)
    {
        var logs = new CapturedLogs();
        await using var node = await TestNode.StartAsync(configuration, settings, waitReady: false, logs: logs);
        var line = await Eventually.ReachAsync(
            () => Task.FromResult(logs.Lines.FirstOrDefault(l => l.Contains("ImeiEir.Storage.RedisConnectionProvider[2203]", StringComparison.Ordinal) && l.Contains(why, StringComparison.Ordinal))),
            l => l is not null);
        using var http = new HttpClient();
        var ready = await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/readyz");

        Assert.NotNull(line);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Index loaded from Redis", StringComparison.Ordinal));
    }

    public void Dispose() => _pki.Dispose();
}
