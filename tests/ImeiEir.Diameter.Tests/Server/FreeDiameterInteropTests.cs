using System.Net;
using System.Net.Sockets;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>
/// Interop with a Diameter stack nobody here wrote: a real freeDiameterd 1.2.1 (Debian) as our peer, over cleartext TCP
/// and over TLS from the first byte. freeDiameter plays the DRA of an SCTP-only core: it keeps a connection to the EIR
/// and one to an MME (this test, on a loopback port), and relays the MME's ME-Identity-Check-Request to us by
/// Destination-Realm. Everything runs on 127.0.0.1; freeDiameter listens on no port.
/// </summary>
public abstract class FreeDiameterInteropTests : IDisposable
{
    private const string DraHost = "dra1.dra.mnc001.mcc437.3gppnetwork.org";
    private const string DraRealm = "dra.mnc001.mcc437.3gppnetwork.org";
    private const string RogueHost = "rogue1.example.org";

    private readonly TestTls _tls = new();
    private readonly TestLogger<DiameterServer> _log = new();
    private readonly TestMeters _meters = new();

    /// <summary>True: freeDiameter reaches us on the TLS listener; false: on the cleartext one.</summary>
    protected abstract bool UseTls { get; }

    public void Dispose()
    {
        _meters.Dispose();
        _tls.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Relay_AllowedFreeDiameterPeer_CapabilitiesWatchdogCheckAndDisconnectFollowRfc6733()
    {
        await using var eir = await StartEirAsync(allowDra: true);
        using var mmePort = new TcpListener(IPAddress.Loopback, 0);
        mmePort.Start();
        await using var dra = FreeDiameterPeer.Start(_tls.Pki, DraHost, DraRealm,
            new FreeDiameterConnectPeer(TestEir.OriginHost, UseTls ? eir.TlsPort : eir.Port, UseTls),
            new FreeDiameterConnectPeer(Requests.PeerHost, ((IPEndPoint)mmePort.LocalEndpoint).Port, Tls: false));

        // The MME side from the start: freeDiameter dials it at once and would give up on a CER left unanswered.
        var mmeSide = AnswerCapabilitiesAsMmeAsync(mmePort);

        // (1) Capabilities exchange: freeDiameter's CER passes the allow-list, over TLS when that is the listener.
        await _log.WaitForAsync(e => e.EventId == 4004 && e.Message.Contains(DraHost, StringComparison.Ordinal), $"saying {DraHost} is an open peer");
        await _meters.WaitForAnswerAsync("CE", "2001");
        if (UseTls)
        {
            var handshake = await _log.WaitForAsync(e => e.EventId == 4023, "about the TLS handshake");
            Assert.Contains("CN=" + DraHost, handshake.Message, StringComparison.Ordinal);
        }

        // freeDiameter's own view: "Connected to '<EIR>' (TCP,soc#n)", with ",TLS" when the link is TLS.
        var connected = await dra.WaitForLineAsync(l => l.Contains($"Connected to '{TestEir.OriginHost}'", StringComparison.Ordinal), "saying it is connected to the EIR");
        Assert.Equal(UseTls, connected.Contains(",TLS,", StringComparison.Ordinal));

        await using var mme = await mmeSide;
        await dra.WaitForLineAsync(l => l.Contains($"Connected to '{Requests.PeerHost}'", StringComparison.Ordinal), "saying it is connected to the MME");

        // (3) A request answered: the MME's MICR, relayed to us by realm, answered with the verdict, relayed back.
        var whitelisted = await mme.RequestAnsweringWatchdogsAsync(Requests.Micr(0x1001, TestData.Registered, TestData.BoundImsi));
        var blacklisted = await mme.RequestAnsweringWatchdogsAsync(Requests.Micr(0x1002, TestData.Stolen, TestData.OtherHomeImsi));

        Assert.Equal(ResultCode.Success, whitelisted.ResultCode);
        Assert.Equal(DiameterEquipmentStatus.Whitelisted, whitelisted.EquipmentStatus);
        Assert.Equal(TestEir.OriginHost, whitelisted.Find(AvpCode.OriginHost)!.Text);
        Assert.Equal($"{Requests.PeerHost};1;{0x1001}", whitelisted.SessionId);
        Assert.Equal(0x1001u, whitelisted.Header.HopByHopId);
        Assert.Equal(DiameterEquipmentStatus.Blacklisted, blacklisted.EquipmentStatus);
        await _meters.WaitForAnswerAsync("MIC", "2001");

        // (2) Watchdog: freeDiameter sends DWR after Tw (6 s +/- 2) of silence on the link; we answer DWA 2001.
        await _meters.WaitForAnswerAsync("DW", "2001");
        await dra.WaitForLineAsync(l => l.Contains("RCV from '" + TestEir.OriginHost, StringComparison.Ordinal) && l.Contains("Device-Watchdog-Answer", StringComparison.Ordinal), "showing our DWA");

        // (4) Our shutdown: DPR (REBOOTING) to freeDiameter, whose DPA closes the connection.
        await eir.Server.StopAsync(CancellationToken.None);
        await _log.WaitForAsync(e => e.EventId == 4017 && e.Message.Contains(DraHost, StringComparison.Ordinal), "saying freeDiameter answered our DPR");
        await dra.WaitForLineAsync(l => l.Contains($"RCV from '{TestEir.OriginHost}'", StringComparison.Ordinal) && l.Contains("Disconnect-Peer-Request", StringComparison.Ordinal) && l.Contains("REBOOTING", StringComparison.Ordinal), "showing our DPR");
        Assert.Equal(0, eir.Server.ConnectionCount);
    }

    [Fact]
    public async Task Cer_FreeDiameterPeerNotOnTheAllowList_Answered3010AndDisconnected()
    {
        await using var eir = await StartEirAsync(allowDra: false);
        await using var rogue = FreeDiameterPeer.Start(_tls.Pki, RogueHost, "example.org",
            new FreeDiameterConnectPeer(TestEir.OriginHost, UseTls ? eir.TlsPort : eir.Port, UseTls));

        var refused = await _log.WaitForAsync(e => e.EventId == 4005 && e.Message.Contains(RogueHost, StringComparison.Ordinal), $"refusing {RogueHost}");
        await _meters.WaitForAnswerAsync("CE", "3010");
        var remote = refused.Message.Split(' ')[3];
        await _log.WaitForAsync(e => e.EventId == 4003 && e.Message.Contains(remote + " closed", StringComparison.Ordinal), $"saying the connection from {remote} closed");
        await rogue.WaitForLineAsync(l => l.Contains("DIAMETER_UNKNOWN_PEER", StringComparison.Ordinal), "showing our 3010");
        Assert.DoesNotContain(_log.Entries, e => e.EventId == 4004);
    }

    /// <summary>
    /// Accepts freeDiameter's connection to the MME and answers its CER (CEA 2001, S13). A connection freeDiameter
    /// dropped before we read its CER (it retries after Tc) is skipped for the next one.
    /// </summary>
    private static async Task<DiameterTestClient> AnswerCapabilitiesAsMmeAsync(TcpListener mmePort)
    {
        for (var attempt = 1; ; attempt++)
        {
            var mme = await DiameterTestClient.AcceptAsync(mmePort);
            var cer = await mme.ReadAsync();
            if (cer is null && attempt < 5)
            {
                await mme.DisposeAsync();
                continue;
            }

            Assert.NotNull(cer);
            Assert.Equal(CommandCode.CapabilitiesExchange, cer.Header.CommandCode);
            Assert.Equal(DraHost, cer.Find(AvpCode.OriginHost)!.Text);
            await mme.SendAsync(Requests.Cea(cer.Header));
            return mme;
        }
    }

    private Task<TestEir> StartEirAsync(bool allowDra)
        => TestEir.StartAsync(o =>
        {
            if (UseTls)
            {
                _tls.Apply(o);
            }

            o.AllowedPeers = allowDra ? [Requests.PeerHost, DraHost] : [Requests.PeerHost];
        }, logger: _log, meterFactory: _meters);
}

/// <summary>freeDiameter reaches the cleartext listener (<c>No_TLS</c> on its ConnectPeer).</summary>
public sealed class FreeDiameterOverTcpTests : FreeDiameterInteropTests
{
    protected override bool UseTls => false;
}

/// <summary>freeDiameter reaches the TLS listener, TLS from the first byte (its RFC 6733 default, no TLS_old_method).</summary>
public sealed class FreeDiameterOverTlsTests : FreeDiameterInteropTests
{
    protected override bool UseTls => true;
}
