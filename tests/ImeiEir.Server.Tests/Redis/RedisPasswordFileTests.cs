using System.Net;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Server.Tests.Security;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Redis;

/// <summary>
/// <c>Redis:PasswordFile</c>: the secret comes from a file, wins over <c>password=</c> in the connection string, and
/// never reaches the log (the connection string is logged with the password masked).
/// </summary>
public sealed class RedisPasswordFileTests : IAsyncLifetime
{
    private readonly TestAcl _acl = new();
    private RedisServer _redis = null!;

    private string NodePassword => _acl.PasswordOf(TestAcl.NodeUser);

    private string NodeConfiguration => _redis.Configuration + ",user=" + TestAcl.NodeUser;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer { AclFile = _acl.Path, Admin = _acl.Admin };
        await _redis.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        _acl.Dispose();
    }

    [Fact]
    public async Task PasswordFile_OverridesConnectionString_NodeReadyAndPasswordsNotLogged()
    {
        var logs = new CapturedLogs();
        var file = _acl.WriteFile("password", NodePassword + "\r\n");

        await using var node = await TestNode.StartAsync(
            NodeConfiguration + ",password=not-the-password-1234", new Dictionary<string, string?> { ["Redis:PasswordFile"] = file }, logs: logs);
        var ack = await node.ApplyOneAsync("p1", D.Register("dev-1", Ids.Registered14));

        Assert.True(ack.Accepted, ack.Error);
        var connecting = Assert.Single(logs.Lines, l => l.Contains("Connecting to Redis", StringComparison.Ordinal));
        Assert.Contains("user=" + TestAcl.NodeUser, connecting, StringComparison.Ordinal);
        Assert.Contains("password=*****", connecting, StringComparison.Ordinal);
        Assert.DoesNotContain(NodePassword, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-1234", logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordFile_WrongPassword_NotReadyLoggedWithoutPassword()
    {
        const string wrong = "wrong-password-5f3a9c";
        var logs = new CapturedLogs();
        var file = _acl.WriteFile("password", wrong + "\n");

        await using var node = await TestNode.StartAsync(NodeConfiguration, new Dictionary<string, string?> { ["Redis:PasswordFile"] = file }, waitReady: false, logs: logs);
        var line = await Eventually.ReachAsync(
            () => Task.FromResult(logs.Lines.FirstOrDefault(l => l.Contains("ImeiEir.Storage.RedisConnectionProvider[2203]", StringComparison.Ordinal) && l.Contains("(AuthenticationFailure)", StringComparison.Ordinal))),
            l => l is not null);
        using var http = new HttpClient();
        var ready = await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/readyz");

        Assert.NotNull(line);
        Assert.Contains("failed at Handshake (AuthenticationFailure)", line, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.DoesNotContain(wrong, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(NodePassword, logs.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public async Task Start_PasswordFileEmpty_RefusedNamingIt(string content)
    {
        var file = _acl.WriteFile("empty", content);

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(NodeConfiguration, new Dictionary<string, string?> { ["Redis:PasswordFile"] = file }, waitReady: false);
        });

        Assert.Contains($"Redis:PasswordFile '{file}' is empty", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PasswordFileMissing_RefusedNamingIt()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(
                NodeConfiguration, new Dictionary<string, string?> { ["Redis:PasswordFile"] = "/nonexistent/redis.password" }, waitReady: false);
        });

        Assert.Contains("Redis:PasswordFile '/nonexistent/redis.password' cannot be read", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnparsableConfiguration_RefusedWithoutPassword()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync("127.0.0.1:1,password=secret-in-string-77,connectTimeout=soon", waitReady: false);
        });

        Assert.Contains("Redis:Configuration cannot be parsed", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-in-string-77", ex.ToString(), StringComparison.Ordinal);
    }
}
