using System.Net;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Security;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Security;

/// <summary>Settings that need a node of their own: certificate rotation, required client certificates, trusted networks, bad settings.</summary>
public sealed class SecuritySettingsTests : RedisTest
{
    private static readonly CheckRequest Request = new() { Imei = Ids.Registered14, Msisdn = "996700000001" };

    [Fact]
    public async Task ServerCertificate_FilesReplaced_NewConnectionsGetTheNewOneWithoutRestart()
    {
        using var pki = new TestPki();
        var first = pki.IssueLoopbackServer("server");
        await using var node = await TestNode.StartAsync(Redis.Configuration, tls: first, trustCa: pki.Ca);
        using var before = TlsClients.Channel(node.GrpcPort, pki.Ca);
        await new EquipmentCheck.EquipmentCheckClient(before).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey));

        // The operator's rotation: new files written beside, then renamed over the configured paths.
        var second = pki.IssueLoopbackServer("server-next");
        File.Move(second.KeyPath, first.KeyPath, overwrite: true);
        File.Move(second.CertificatePath, first.CertificatePath, overwrite: true);

        // Promised: new connections within 10 s. Polled (a connection every 200 ms) until then.
        var seen = "";
        for (var i = 0; i < 50 && seen != second.Certificate.Thumbprint; i++)
        {
            await Task.Delay(200);
            seen = (await TlsClients.ServerCertificateAsync(node.GrpcPort)).Thumbprint;
        }

        Assert.Equal(second.Certificate.Thumbprint, seen);
        using var after = TlsClients.Channel(node.GrpcPort, pki.Ca);
        var r = await new EquipmentCheck.EquipmentCheckClient(after).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey));
        Assert.Equal(Reason.NotRegistered, r.Reason);
        // A client connected before the rotation goes on (its channel reconnects if its connection was closed).
        var old = await new EquipmentCheck.EquipmentCheckClient(before).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey));
        Assert.Equal(Reason.NotRegistered, old.Reason);
    }

    [Fact]
    public async Task RequireCertificate_NoCertificate_HandshakeRefused_WithOne_Served()
    {
        using var pki = new TestPki();
        var amf = pki.Issue("amf", "amf", CertificateUsage.Client, dnsNames: [SecureNode.AmfName]);
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:ClientCertificateMode"] = "RequireCertificate",
            ["Auth:ClientCertificates:CaPath"] = pki.CaPath,
        };
        SecureNode.AddCertificateClient(settings, 4, "amf", SecureNode.AmfName, Roles.Check);
        await using var node = await TestNode.StartAsync(Redis.Configuration, settings, waitReady: true, tls: pki.IssueLoopbackServer(), trustCa: pki.Ca);
        using var without = TlsClients.Channel(node.GrpcPort, pki.Ca);
        using var with = TlsClients.Channel(node.GrpcPort, pki.Ca, amf.Certificate);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await new EquipmentCheck.EquipmentCheckClient(without).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey)));
        var curl = await TlsClients.CurlAsync(node.GrpcPort, N5gEirCaller.Path + "?pei=imei-" + Ids.Imei15(Ids.Registered14), pki.CaPath, bearer: TestNode.CheckKey);
        var served = await new EquipmentCheck.EquipmentCheckClient(with).CheckAsync(Request);

        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal, refused.StatusCode.ToString());
        Assert.True(curl.Refused, $"curl got HTTP {curl.Status}");
        Assert.Equal(Reason.NotRegistered, served.Reason);
    }

    [Fact]
    public async Task TrustedNetwork_NoCredential_CheckOnly()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { ["Auth:TrustedNetworks:0"] = "127.0.0.0/8", ["Auth:TrustedNetworks:1"] = "fd00::/8" });

        var check = await node.Checks.CheckAsync(Request);
        var n5g = await N5gEirCaller.GetAsync(H2Client.Curl, node.GrpcPort, "pei=imei-" + Ids.Imei15(Ids.Registered14), key: null);
        var sync = await Assert.ThrowsAsync<RpcException>(async () => await node.Sync.GetSyncStateAsync(new GetSyncStateRequest()));
        var ussd = await Assert.ThrowsAsync<RpcException>(async () => await node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = Ids.Registered14 }));
        var unknownKey = await Assert.ThrowsAsync<RpcException>(async () => await node.Checks.CheckAsync(Request, TestNode.Auth("not-a-key")));

        Assert.Equal(Reason.NotRegistered, check.Reason);
        Assert.Equal(200, n5g.Status);
        Assert.Equal(StatusCode.Unauthenticated, sync.StatusCode); // sync and self-service always need a credential
        Assert.Equal(StatusCode.Unauthenticated, ussd.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, unknownKey.StatusCode); // a wrong credential is not "no credential"
    }

    [Fact]
    public async Task TrustedNetwork_OtherRange_NoCredentialRefused()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { ["Auth:TrustedNetworks:0"] = "10.0.0.0/8" });

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Checks.CheckAsync(Request));
        var n5g = await N5gEirCaller.GetAsync(H2Client.DotNet, node.GrpcPort, "pei=imei-" + Ids.Imei15(Ids.Registered14), key: null);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(401, n5g.Status);
    }

    [Fact]
    public async Task Start_ClientCertificateModeWithoutCaPath_RefusedNamingBoth()
    {
        using var pki = new TestPki();
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var node = await TestNode.StartAsync(
                Redis.Configuration, new Dictionary<string, string?> { ["Kestrel:Endpoints:Grpc:ClientCertificateMode"] = "RequireCertificate" }, waitReady: false, tls: pki.IssueLoopbackServer(), trustCa: pki.Ca);
        });

        Assert.Contains("Kestrel:Endpoints:Grpc:ClientCertificateMode asks for client certificates but Auth:ClientCertificates:CaPath is empty", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NrfToken_SigningKeyFileReplaced_TokensOfTheOldKeyRefusedNewOnesAccepted()
    {
        using var pki = new TestPki();
        using var tokens = new NrfTokens(pki);
        await using var node = await TestNode.StartAsync(Redis.Configuration, tokens.Settings(), tls: pki.IssueLoopbackServer(), trustCa: pki.Ca);
        var path = N5gEirCaller.Path + "?pei=imei-" + Ids.Imei15(Ids.Registered14);
        var old = tokens.Create();

        var first = await TlsClients.GetAsync(node.GrpcPort, path, pki.Ca, bearer: old);
        var again = await TlsClients.GetAsync(node.GrpcPort, path, pki.Ca, bearer: old); // verified once, then remembered
        File.Move(WriteTemp(tokens), tokens.EsKeyPath, overwrite: true); // the NRF rotated its key
        var afterRotation = await Eventually.ReachAsync(() => TlsClients.GetAsync(node.GrpcPort, path, pki.Ca, bearer: old), r => r.Status == 401);
        var signedWithNewKey = await TlsClients.GetAsync(node.GrpcPort, path, pki.Ca, bearer: tokens.Create(NrfTokens.Signer.Stranger));

        Assert.Equal((200, 200), (first.Status, again.Status));
        Assert.Equal(401, afterRotation.Status);
        Assert.Equal(200, signedWithNewKey.Status);
    }

    private static string WriteTemp(NrfTokens tokens)
    {
        var path = Path.GetTempFileName();
        tokens.WriteStrangerKeyTo(path);
        return path;
    }

    [Fact]
    public void TokenCache_Entry_UsableUntilExpiryAndWhileItsKeyIsCurrent()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new TokenCache(time);
        var key = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]);
        var other = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]);
        var principal = new System.Security.Claims.ClaimsPrincipal();
        cache.Add("t", principal, time.GetUtcNow().UtcDateTime.AddMinutes(1), "nrf", key);

        var hit = cache.TryGet("t", _ => key, out var p1);
        var otherKey = cache.TryGet("t", _ => other, out _);
        cache.Add("t", principal, time.GetUtcNow().UtcDateTime.AddMinutes(1), "nrf", key);
        time.Advance(TimeSpan.FromMinutes(1));
        var expired = cache.TryGet("t", _ => key, out _);

        Assert.True(hit);
        Assert.Same(principal, p1);
        Assert.False(otherKey);
        Assert.False(expired);
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:10.1.2.3", true)] // a dual-stack listener's view of an IPv4 peer
    [InlineData("11.0.0.1", false)]
    [InlineData("fd00::1", true)]
    [InlineData("fe80::1", false)]
    public void TrustedNetworks_Contains_IPv4IPv6AndMapped(string address, bool expected)
    {
        var ranges = new TrustedNetworks(["10.0.0.0/8", "fd00::/8"]);

        Assert.Equal(expected, ranges.Contains(IPAddress.Parse(address)));
    }
}
