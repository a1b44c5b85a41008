using System.Net;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>The RFC 6733 base protocol over loopback TCP: capabilities exchange, allow-list, watchdog, disconnect.</summary>
public class PeerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cer_AllowedPeer_AnswersSuccessWithOurCapabilities(bool asVendorSpecific)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        var cea = await client.RequestAsync(Requests.Cer(77, asVendorSpecific: asVendorSpecific));

        Assert.Equal(ResultCode.Success, cea.ResultCode);
        Assert.False(cea.Header.IsRequest);
        Assert.Equal(CommandCode.CapabilitiesExchange, cea.Header.CommandCode);
        Assert.Equal(77u, cea.Header.HopByHopId);
        Assert.Equal("eir1." + Requests.EirRealm, cea.Find(AvpCode.OriginHost)!.Text);
        Assert.Equal(Requests.EirRealm, cea.Find(AvpCode.OriginRealm)!.Text);
        var hostIp = cea.Find(AvpCode.HostIpAddress)!;
        Assert.Equal(new byte[] { 0, 1, 127, 0, 0, 1 }, hostIp.Data);
        Assert.Equal(0u, cea.Find(AvpCode.VendorId)!.UInt32);
        Assert.Equal("ImeiEir", cea.Find(AvpCode.ProductName)!.Text);
        Assert.Equal(DiameterApplication.S13, cea.Find(AvpCode.AuthApplicationId)!.UInt32);
        var vsai = cea.Find(AvpCode.VendorSpecificApplicationId)!;
        Assert.Equal(VendorId.ThreeGpp, vsai.Find(AvpCode.VendorId)!.UInt32);
        Assert.Equal(DiameterApplication.S13, vsai.Find(AvpCode.AuthApplicationId)!.UInt32);
        Assert.NotNull(cea.Find(AvpCode.OriginStateId));
    }

    [Fact]
    public async Task Cer_PeerAllowedByRealmOnly_IsAccepted()
    {
        await using var eir = await TestEir.StartAsync(o =>
        {
            o.AllowedPeers = [];
            o.AllowedRealms = [Requests.PeerRealm.ToUpperInvariant()];
        });
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        var cea = await client.RequestAsync(Requests.Cer(host: "mme7." + Requests.PeerRealm));

        Assert.Equal(ResultCode.Success, cea.ResultCode);
    }

    [Fact]
    public async Task Cer_UnknownPeer_Answers3010AndCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        var cea = await client.RequestAsync(Requests.Cer(host: "rogue.example.org", realm: "example.org"));

        Assert.Equal(ResultCode.UnknownPeer, cea.ResultCode);
        Assert.True(cea.Header.IsError);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Cer_WithoutS13_Answers5010AndCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        var cea = await client.RequestAsync(Requests.Cer(advertiseS13: false));

        Assert.Equal(ResultCode.NoCommonApplication, cea.ResultCode);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Cer_WithoutOriginHost_Answers5005NamingItAndCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);
        var cer = Requests.Build((ref DiameterWriter w) =>
        {
            w.WriteHeader(CommandFlags.Request, CommandCode.CapabilitiesExchange, DiameterApplication.Common, 1, 1);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, Requests.PeerRealm);
            w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        });

        var cea = await client.RequestAsync(cer);

        Assert.Equal(ResultCode.MissingAvp, cea.ResultCode);
        Assert.Equal(AvpCode.OriginHost, Assert.Single(cea.FailedAvp!.Children).Code);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Micr_BeforeCer_Answers3010AndCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(1, TestData.Registered));

        Assert.Equal(ResultCode.UnknownPeer, answer.ResultCode);
        Assert.Null(answer.EquipmentStatus);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Dwr_OpenPeer_AnswersDwaSuccess()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var dwa = await client.RequestAsync(Requests.Dwr(0x1234));

        Assert.Equal(CommandCode.DeviceWatchdog, dwa.Header.CommandCode);
        Assert.False(dwa.Header.IsRequest);
        Assert.Equal(0x1234u, dwa.Header.HopByHopId);
        Assert.Equal(ResultCode.Success, dwa.ResultCode);
        Assert.NotNull(dwa.Find(AvpCode.OriginHost));
        Assert.NotNull(dwa.Find(AvpCode.OriginStateId));
    }

    [Fact]
    public async Task Dpr_OpenPeer_AnswersDpaThenCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var dpa = await client.RequestAsync(Requests.Dpr(5));

        Assert.Equal(CommandCode.DisconnectPeer, dpa.Header.CommandCode);
        Assert.Equal(ResultCode.Success, dpa.ResultCode);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task StopAsync_OpenPeer_SendsDprAndClosesAfterDpa()
    {
        var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var stopping = eir.Server.StopAsync(CancellationToken.None);
        var dpr = await client.ReadAsync();
        Assert.NotNull(dpr);
        Assert.True(dpr.Header.IsRequest);
        Assert.Equal(CommandCode.DisconnectPeer, dpr.Header.CommandCode);
        Assert.Equal((uint)DisconnectCause.Rebooting, dpr.Find(AvpCode.DisconnectCause)!.UInt32);

        var dpa = Requests.Build((ref DiameterWriter w) =>
        {
            w.WriteHeader(CommandFlags.None, CommandCode.DisconnectPeer, DiameterApplication.Common, dpr.Header.HopByHopId, dpr.Header.EndToEndId);
            w.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, Requests.PeerHost);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, Requests.PeerRealm);
        });
        await client.SendAsync(dpa);

        Assert.True(await client.WaitClosedAsync());
        await stopping;
        Assert.Equal(0, eir.Server.ConnectionCount);
    }

    [Fact]
    public async Task StartAsync_ListenEmpty_DoesNotListen()
    {
        await using var eir = await TestEir.StartAsync(o => o.Listen = "");

        Assert.Equal(0, eir.Port);
        Assert.Null(eir.Server.LocalEndPoint);
    }

    [Fact]
    public async Task StartAsync_OnIPv6Loopback_ServesToo()
    {
        await using var eir = await TestEir.StartAsync(o => o.Listen = "[::1]:0");
        using var tcp = new System.Net.Sockets.TcpClient(System.Net.Sockets.AddressFamily.InterNetworkV6);
        await tcp.ConnectAsync(IPAddress.IPv6Loopback, eir.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Requests.Cer());
        var header = new byte[20];
        await stream.ReadExactlyAsync(header);
        var body = new byte[DiameterHeader.ReadLength(header) - 20];
        await stream.ReadExactlyAsync(body);
        var cea = new ParsedMessage([.. header, .. body]);

        Assert.Equal(ResultCode.Success, cea.ResultCode);
        Assert.Equal(2, cea.Find(AvpCode.HostIpAddress)!.Data[1]); // an IPv6 Host-IP-Address
    }

    [Fact]
    public async Task Connection_NoCerWithinCerTimeout_IsClosed()
    {
        await using var eir = await TestEir.StartAsync(o => o.CerTimeout = TimeSpan.FromMilliseconds(200));
        await using var client = await DiameterTestClient.ConnectAsync(eir.Port);

        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Connection_OverMaxConnections_IsClosedWhileTheOthersAreServed()
    {
        await using var eir = await TestEir.StartAsync(o => o.MaxConnections = 1);
        await using var first = await DiameterTestClient.OpenAsync(eir.Port);
        await using var second = await DiameterTestClient.ConnectAsync(eir.Port);

        Assert.True(await second.WaitClosedAsync());
        Assert.Equal(ResultCode.Success, (await first.RequestAsync(Requests.Dwr(1))).ResultCode);
    }
}
