using System.Security.Authentication;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Security;

/// <summary>TLS on the Grpc endpoint and client certificates as identities, over real TLS connections.</summary>
public sealed class TlsAndClientCertificateTests(SecureNode fixture) : IClassFixture<SecureNode>
{
    private static readonly CheckRequest Request = new() { Imei = Ids.Registered14, Msisdn = "996700000001" };
    private static readonly string N5gRegistered = N5gEirCaller.Path + "?pei=imei-" + Ids.Imei15(Ids.Registered14);

    [Fact]
    public async Task Check_OverTlsWithApiKey_Allowed()
    {
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca);

        var r = await new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey));

        Assert.Equal(Verdict.Allow, r.Verdict);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Tls_12And13_NegotiatedWithAlpnH2(SslProtocols protocol)
    {
        var (negotiated, alpn) = await TlsClients.NegotiateAsync(fixture.Port, fixture.Ca, protocol);

        Assert.Equal(protocol, negotiated);
        Assert.Equal("h2", alpn);
    }

    [Fact]
    public async Task N5gEir_OverTlsWithKey_DotNetAndCurlGet200OverHttp2()
    {
        var dotnet = await TlsClients.GetAsync(fixture.Port, N5gRegistered, fixture.Ca, bearer: TestNode.CheckKey);
        var curl = await TlsClients.CurlAsync(fixture.Port, N5gRegistered, fixture.Pki.CaPath, bearer: TestNode.CheckKey);

        Assert.Equal((200, "2.0"), (dotnet.Status, dotnet.Protocol));
        Assert.Equal((200, "2"), (curl.Status, curl.Protocol));
        Assert.Contains("WHITELISTED", curl.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task N5gEir_CleartextToTlsEndpoint_NoAnswer()
    {
        var r = await N5gEirCaller.GetAsync(H2Client.DotNet, fixture.Port, "pei=imei-" + Ids.Imei15(Ids.Registered14)).ContinueWith(t => t.IsFaulted ? 0 : t.Result.Status);

        Assert.Equal(0, r);
    }

    public enum Who
    {
        AmfByDnsSan,
        RegistryByUriSan,
        SmscByCnOnly,
        SanOtherThanCn,
        Unnamed,
    }

    private IssuedCertificate CertificateOf(Who who) => who switch
    {
        Who.AmfByDnsSan => fixture.Amf,
        Who.RegistryByUriSan => fixture.RegistryByUri,
        Who.SmscByCnOnly => fixture.SmscByCn,
        Who.SanOtherThanCn => fixture.SanOtherThanCn,
        _ => fixture.Unnamed,
    };

    [Theory]
    [InlineData(Who.AmfByDnsSan, StatusCode.OK)]
    [InlineData(Who.SmscByCnOnly, StatusCode.OK)]
    [InlineData(Who.RegistryByUriSan, StatusCode.PermissionDenied)] // named, but its client has role sync only
    [InlineData(Who.SanOtherThanCn, StatusCode.Unauthenticated)] // the SAN decides; the CN counts only without SANs
    [InlineData(Who.Unnamed, StatusCode.Unauthenticated)]
    public async Task Check_ClientCertificateWithoutKey_RolesOfTheClientItNames(Who who, StatusCode expected)
    {
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca, CertificateOf(who).Certificate);

        var status = await StatusOf(() => new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(Request).ResponseAsync);

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(Who.AmfByDnsSan, 200)]
    [InlineData(Who.SmscByCnOnly, 200)]
    [InlineData(Who.RegistryByUriSan, 403)]
    [InlineData(Who.SanOtherThanCn, 401)]
    [InlineData(Who.Unnamed, 401)]
    public async Task N5gEir_ClientCertificateWithCurl_RolesOfTheClientItNames(Who who, int expected)
    {
        var r = await TlsClients.CurlAsync(fixture.Port, N5gRegistered, fixture.Pki.CaPath, SecureNode.Files(CertificateOf(who)));

        Assert.Equal(expected, r.Status);
    }

    [Fact]
    public async Task Sync_CertificateOfSyncClient_Allowed()
    {
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca, fixture.RegistryByUri.Certificate);

        var state = await new RegistrySync.RegistrySyncClient(channel).GetSyncStateAsync(new GetSyncStateRequest());

        Assert.True(state.Sequence > 0);
    }

    [Fact]
    public async Task Check_CertificateAndKey_TheKeyDecides()
    {
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca, fixture.Amf.Certificate);

        var withSyncKey = await StatusOf(() => new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(Request, TestNode.Auth(TestNode.SyncKey)).ResponseAsync);
        var withUnknownKey = await StatusOf(() => new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(Request, TestNode.Auth("not-a-key")).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, withSyncKey);
        Assert.Equal(StatusCode.Unauthenticated, withUnknownKey);
    }

    public enum BadCertificate
    {
        Expired,
        NotYetValid,
        OtherCa,
        NoClientAuthUsage,
    }

    private IssuedCertificate CertificateOf(BadCertificate bad) => bad switch
    {
        BadCertificate.Expired => fixture.Expired,
        BadCertificate.NotYetValid => fixture.NotYetValid,
        BadCertificate.OtherCa => fixture.FromOtherCa,
        _ => fixture.ServerUsageOnly,
    };

    [Theory]
    [InlineData(BadCertificate.Expired)]
    [InlineData(BadCertificate.NotYetValid)]
    [InlineData(BadCertificate.OtherCa)]
    [InlineData(BadCertificate.NoClientAuthUsage)]
    public async Task Handshake_BadClientCertificate_RefusedEvenWithAValidKey(BadCertificate bad)
    {
        var certificate = CertificateOf(bad);
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca, certificate.Certificate);

        var grpc = await StatusOf(() => new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(Request, TestNode.Auth(TestNode.CheckKey)).ResponseAsync);
        var dotnet = await TlsClients.GetAsync(fixture.Port, N5gRegistered, fixture.Ca, certificate.Certificate, TestNode.CheckKey);
        var curl = await TlsClients.CurlAsync(fixture.Port, N5gRegistered, fixture.Pki.CaPath, SecureNode.Files(certificate), TestNode.CheckKey);

        // No answer at all: the TLS connection itself is refused (gRPC reports it as UNAVAILABLE or INTERNAL).
        Assert.True(grpc is StatusCode.Unavailable or StatusCode.Internal, $"gRPC status {grpc}");
        Assert.True(dotnet.Refused, $"HttpClient got HTTP {dotnet.Status}");
        Assert.True(curl.Refused, $"curl got HTTP {curl.Status}");
    }

    private static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}
