using System.Net.Sockets;
using System.Security.Authentication;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>
/// The TLS listener (RFC 6733 §2.1, TLS from the first byte) over real loopback TLS with .NET SslStream clients: who gets
/// through the handshake, what is logged when someone does not, and the Diameter rules that still apply after it.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private const int TlsRefusedEvent = 4018;
    private readonly TestTls _tls = new();

    public void Dispose() => _tls.Dispose();

    [Fact]
    public async Task Cer_ValidClientCertificate_AnswersSuccessAndServesChecks()
    {
        await using var eir = await TestEir.StartAsync(_tls.Apply);
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);

        var cea = await client.RequestAsync(Requests.Cer(7));
        var mica = await client.RequestAsync(Requests.Micr(8, TestData.Stolen));
        var dwa = await client.RequestAsync(Requests.Dwr(9));

        Assert.Contains(client.Tls!.SslProtocol, new[] { SslProtocols.Tls12, SslProtocols.Tls13 });
        Assert.Equal(TestEir.OriginHost, client.Tls.RemoteCertificate!.Subject[3..]);
        Assert.Equal(ResultCode.Success, cea.ResultCode);
        Assert.Equal(7u, cea.Header.HopByHopId);
        Assert.Equal(DiameterEquipmentStatus.Blacklisted, mica.EquipmentStatus);
        Assert.Equal(ResultCode.Success, dwa.ResultCode);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Handshake_EachAllowedVersion_IsAccepted(SslProtocols version)
    {
        await using var eir = await TestEir.StartAsync(_tls.Apply);
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca, version);

        var cea = await client.RequestAsync(Requests.Cer());

        Assert.Equal(version, client.Tls!.SslProtocol);
        Assert.Equal(ResultCode.Success, cea.ResultCode);
    }

    public enum BadCertificate
    {
        None,
        OtherCa,
        Expired,
        NotYetValid,
        ServerAuthOnly,
    }

    [Theory]
    [InlineData(BadCertificate.None, "no client certificate")]
    [InlineData(BadCertificate.OtherCa, "not valid against Diameter:Tls:PeerCaPath")]
    [InlineData(BadCertificate.Expired, "NotTimeValid")]
    [InlineData(BadCertificate.NotYetValid, "NotTimeValid")]
    [InlineData(BadCertificate.ServerAuthOnly, "without clientAuth")]
    public async Task Handshake_ClientCertificateNotAcceptable_IsRefusedLoggedOnceAndTheListenerServesOn(BadCertificate kind, string reason)
    {
        var logger = new TestLogger<DiameterServer>();
        using var otherPki = new TestPki("Some Other CA");
        var now = DateTimeOffset.UtcNow;
        using var certificate = kind switch
        {
            BadCertificate.None => null,
            BadCertificate.OtherCa => otherPki.Issue("mme", Requests.PeerHost, CertificateUsage.Client),
            BadCertificate.Expired => _tls.Pki.Issue("expired", Requests.PeerHost, CertificateUsage.Client, notBefore: now.AddDays(-30), notAfter: now.AddDays(-1)),
            BadCertificate.NotYetValid => _tls.Pki.Issue("future", Requests.PeerHost, CertificateUsage.Client, notBefore: now.AddDays(1), notAfter: now.AddDays(30)),
            _ => _tls.Pki.Issue("server-only", Requests.PeerHost, CertificateUsage.Server),
        };
        await using var eir = await TestEir.StartAsync(_tls.Apply, logger: logger);

        Assert.True(await IsRefusedAsync(eir.TlsPort, certificate?.Certificate));

        var refused = await logger.WaitForAsync(e => e.EventId == TlsRefusedEvent, "refusing the handshake");
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", refused.Message, StringComparison.Ordinal);
        await using var good = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);
        Assert.Equal(ResultCode.Success, (await good.RequestAsync(Requests.Cer())).ResultCode);
        Assert.Single(logger.Entries, e => e.EventId == TlsRefusedEvent);
    }

    [Fact]
    public async Task Handshake_ClientCertificateWithoutExtendedKeyUsage_IsAccepted()
    {
        // What freeDiameter's make_certs.sh (openssl ca defaults) issues: no EKU extension, so any purpose.
        using var plain = _tls.Pki.Issue("plain", Requests.PeerHost, CertificateUsage.None);
        await using var eir = await TestEir.StartAsync(_tls.Apply);
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, plain.Certificate, _tls.Pki.Ca);

        Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Cer())).ResultCode);
    }

    [Fact]
    public async Task Cer_ValidCertificateButOriginHostNotAllowed_Answers3010AndCloses()
    {
        await using var eir = await TestEir.StartAsync(_tls.Apply);
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);

        var cea = await client.RequestAsync(Requests.Cer(host: "rogue.example.org", realm: "example.org"));

        Assert.Equal(ResultCode.UnknownPeer, cea.ResultCode);
        Assert.True(cea.Header.IsError);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Listeners_CleartextAndTlsSideBySide_BothServeTheSameVerdicts()
    {
        await using var eir = await TestEir.StartAsync(_tls.Apply);
        await using var plain = await DiameterTestClient.OpenAsync(eir.Port);
        await using var secure = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);
        Assert.Equal(ResultCode.Success, (await secure.RequestAsync(Requests.Cer())).ResultCode);

        var overTcp = await plain.RequestAsync(Requests.Micr(1, TestData.Bound, TestData.BoundImsi));
        var overTls = await secure.RequestAsync(Requests.Micr(1, TestData.Bound, TestData.BoundImsi));

        Assert.NotEqual(eir.Port, eir.TlsPort);
        Assert.Equal(DiameterEquipmentStatus.Whitelisted, overTcp.EquipmentStatus);
        Assert.Equal(overTcp.Bytes, overTls.Bytes);
        Assert.Equal(2, eir.Server.ConnectionCount);
    }

    [Fact]
    public async Task Listen_TlsOnly_ServesTlsAndNoCleartextPort()
    {
        await using var eir = await TestEir.StartAsync(o =>
        {
            _tls.Apply(o);
            o.Listen = "";
        });
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);

        Assert.Equal(0, eir.Port);
        Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Cer())).ResultCode);
    }

    [Fact]
    public async Task Handshake_CleartextCerOnTheTlsPort_IsRefusedWithoutAnAnswer()
    {
        var logger = new TestLogger<DiameterServer>();
        await using var eir = await TestEir.StartAsync(_tls.Apply, logger: logger);
        await using var client = await DiameterTestClient.ConnectAsync(eir.TlsPort);

        await client.SendAsync(Requests.Cer());

        Assert.True(await client.WaitClosedAsync());
        var refused = await logger.WaitForAsync(e => e.EventId == TlsRefusedEvent, "refusing the handshake");
        Assert.Contains("127.0.0.1:", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_NothingSentWithinCerTimeout_IsClosedAndLoggedAtInformation()
    {
        var logger = new TestLogger<DiameterServer>();
        await using var eir = await TestEir.StartAsync(o =>
        {
            _tls.Apply(o);
            o.CerTimeout = TimeSpan.FromMilliseconds(200);
        }, logger: logger);
        await using var client = await DiameterTestClient.ConnectAsync(eir.TlsPort);

        Assert.True(await client.WaitClosedAsync());
        var abandoned = await logger.WaitForAsync(e => e.EventId == 4019, "about the abandoned handshake");
        Assert.Equal(LogLevel.Information, abandoned.Level);
        Assert.Contains("Diameter:CerTimeout", abandoned.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_OpenTlsPeer_SendsDprAndClosesAfterDpa()
    {
        var logger = new TestLogger<DiameterServer>();
        var eir = await TestEir.StartAsync(_tls.Apply, logger: logger);
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);
        Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Cer())).ResultCode);

        var stopping = eir.Server.StopAsync(CancellationToken.None);
        var dpr = await client.ReadAsync();
        Assert.NotNull(dpr);
        Assert.Equal(CommandCode.DisconnectPeer, dpr.Header.CommandCode);
        await client.SendAsync(Requests.Build((ref DiameterWriter w) =>
        {
            w.WriteHeader(CommandFlags.None, CommandCode.DisconnectPeer, DiameterApplication.Common, dpr.Header.HopByHopId, dpr.Header.EndToEndId);
            w.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, Requests.PeerHost);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, Requests.PeerRealm);
        }));

        Assert.True(await client.WaitClosedAsync());
        await stopping;
        await logger.WaitForAsync(e => e.EventId == 4017 && e.Message.Contains(Requests.PeerHost, StringComparison.Ordinal), "about our DPR answered");
        Assert.Equal(0, eir.Server.ConnectionCount);
    }

    [Fact]
    public async Task Handshake_AfterTheCertificateFilesChanged_PresentsTheNewCertificate()
    {
        var logger = new TestLogger<DiameterServer>();
        await using var eir = await TestEir.StartAsync(o =>
        {
            _tls.Apply(o);
            o.Tls.ReloadCheckInterval = TimeSpan.Zero;
        }, logger: logger);
        await using (var before = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca))
        {
            Assert.Equal(_tls.Server.Certificate.Thumbprint, before.Tls!.RemoteCertificate!.GetCertHashString());
        }

        // A rotation: new certificate and key written over the old files (the copy gets a later modification time).
        using var renewed = _tls.Pki.Issue("eir-renewed", TestEir.OriginHost, CertificateUsage.Server, dnsNames: [TestEir.OriginHost, "localhost"]);
        Replace(renewed.CertificatePath, _tls.Server.CertificatePath);
        Replace(renewed.KeyPath, _tls.Server.KeyPath);
        await using var after = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);

        Assert.Equal(renewed.Certificate.Thumbprint, after.Tls!.RemoteCertificate!.GetCertHashString());
        Assert.Equal(ResultCode.Success, (await after.RequestAsync(Requests.Cer())).ResultCode);
        Assert.Contains(logger.Entries, e => e.EventId == 4021);
    }

    [Fact]
    public async Task Handshake_AfterTheKeyFileWasBroken_KeepsThePreviousCertificateAndWarns()
    {
        var logger = new TestLogger<DiameterServer>();
        await using var eir = await TestEir.StartAsync(o =>
        {
            _tls.Apply(o);
            o.Tls.ReloadCheckInterval = TimeSpan.Zero;
        }, logger: logger);

        File.WriteAllText(_tls.Server.KeyPath, "not a key\n");
        File.SetLastWriteTimeUtc(_tls.Server.KeyPath, DateTime.UtcNow.AddMinutes(1));
        await using var client = await DiameterTestClient.ConnectTlsAsync(eir.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);

        Assert.Equal(_tls.Server.Certificate.Thumbprint, client.Tls!.RemoteCertificate!.GetCertHashString());
        Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Cer())).ResultCode);
        var warning = Assert.Single(logger.Entries, e => e.EventId == 4022);
        Assert.Contains("Diameter:Tls:KeyPath", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", warning.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// True when the server refuses the handshake: with TLS 1.2 the client's handshake fails; with TLS 1.3 the client may
    /// finish first (its certificate is checked after its Finished) and then sees an alert or the close.
    /// </summary>
    private async Task<bool> IsRefusedAsync(int port, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        DiameterTestClient client;
        try
        {
            client = await DiameterTestClient.ConnectTlsAsync(port, certificate, _tls.Pki.Ca);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            return true;
        }

        await using (client)
        {
            try
            {
                await client.SendAsync(Requests.Cer());
                return await client.ReadAsync() is null;
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                return true;
            }
        }
    }

    private static void Replace(string source, string target)
    {
        File.Copy(source, target, overwrite: true);
        File.SetLastWriteTimeUtc(target, DateTime.UtcNow.AddMinutes(1));
    }
}
