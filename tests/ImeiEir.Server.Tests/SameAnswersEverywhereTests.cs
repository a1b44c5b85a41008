using System.Net;
using System.Net.Sockets;
using System.Text;
using ImeiEir.Contracts.V1;
using ImeiEir.Diameter;
using ImeiEir.Diameter.Codec;
using ImeiEir.Server.Tests.N5gEir;
using Microsoft.Extensions.DependencyInjection;
using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests;

/// <summary>
/// Issue 5 §3: the verdict cases of docs/domain.md asked through gRPC, N5g-eir (HTTP/2) and Diameter S13 of the same
/// node give the same answer. Each node is the production host with its S13 listener on (Diameter:Listen), so the three
/// interfaces share one EquipmentChecker, one index and one set of grace marks.
/// </summary>
public sealed class SameAnswersEverywhereTests : IClassFixture<SameAnswersEverywhereTests.Nodes>
{
    private readonly Nodes _nodes;

    public SameAnswersEverywhereTests(Nodes nodes) => _nodes = nodes;

    /// <summary>
    /// Rows: which node, the IMEI (14 digits; each interface sends it in its own form), the IMEISV software version
    /// (or empty), the IMSI (or empty: S13 has no MSISDN, so subscribers here are IMSIs), the answer, and the rule of
    /// the verdict order the gRPC reason must name. "UNKNOWN" is N5g-eir 404 ERROR_EQUIPMENT_UNKNOWN, S13 5422, and
    /// gRPC NOT_REGISTERED (gRPC has no "unknown": Policy:UnknownEquipment governs the 3GPP interfaces only).
    /// </summary>
    public static TheoryData<string, string, string, string, string, Reason> Cases => new()
    {
        // 4. Registered.
        { Default, Registered14, "", HomeImsi, "WHITELISTED", Reason.Registered },
        { Default, Registered14, "", "", "WHITELISTED", Reason.Registered },
        { Default, Second14, "07", HomeImsi, "WHITELISTED", Reason.Registered },
        // 2. Stolen, whatever the SIM.
        { Default, Stolen14, "", HomeImsi, "BLACKLISTED", Reason.Stolen },
        { Default, Stolen14, "", RoamingImsi, "BLACKLISTED", Reason.Stolen },
        { Default, Stolen14, "01", "", "BLACKLISTED", Reason.Stolen },
        // 3. Roaming exempt.
        { Default, Unknown14, "", RoamingImsi, "WHITELISTED", Reason.RoamingExempt },
        // 5. Bound: by IMSI, or by the MSISDN the IMSI maps to.
        { Default, Bound14, "", BoundImsi, "WHITELISTED", Reason.BoundSubscriber },
        { Default, Null14, "", MappedImsi, "WHITELISTED", Reason.BoundSubscriber },
        // 6. Bound to someone else: grace; with nobody to match: number switch required.
        { Default, Bound14, "", "437010000000321", "GREYLISTED", Reason.NumberSwitchGrace },
        { Default, Null14, "", "437090000000321", "GREYLISTED", Reason.NumberSwitchGrace },
        { Default, Bound14, "", "", "BLACKLISTED", Reason.NumberSwitchRequired },
        { ShortGrace, Bound14, "", "437010000000654", "BLACKLISTED", Reason.NumberSwitchRequired },
        // 7. Amnesty window open: bound now, allowed.
        { Amnesty, "35000000000017", "", HomeImsi, "WHITELISTED", Reason.AutoWhitelisted },
        { Amnesty, Stolen14, "", HomeImsi, "BLACKLISTED", Reason.Stolen },
        // 8. Not registered: BLACKLISTED by default, "unknown" where Policy:UnknownEquipment=Unknown.
        { Default, Unknown14, "", HomeImsi, "BLACKLISTED", Reason.NotRegistered },
        { Default, Unknown14, "", "", "BLACKLISTED", Reason.NotRegistered },
        { UnknownMode, Unknown14, "", HomeImsi, "UNKNOWN", Reason.NotRegistered },
        { UnknownMode, Unknown14, "01", "", "UNKNOWN", Reason.NotRegistered },
        { UnknownMode, Unknown14, "", RoamingImsi, "WHITELISTED", Reason.RoamingExempt },
        { UnknownMode, Stolen14, "", HomeImsi, "BLACKLISTED", Reason.Stolen },
        { UnknownMode, Bound14, "", "", "BLACKLISTED", Reason.NumberSwitchRequired },
    };

    public const string Default = "default";
    public const string ShortGrace = "grace 1 ms";
    public const string Amnesty = "amnesty open";
    public const string UnknownMode = "UnknownEquipment=Unknown";

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Check_DomainVerdictCases_SameAnswerOnGrpcN5gEirAndS13(string nodeName, string imei14, string sv, string imsi, string expected, Reason rule)
    {
        var node = _nodes[nodeName];
        if (nodeName == ShortGrace)
        {
            // Start the grace clock, then let it run out (waits on the clock; asserts nothing about time).
            var started = await node.CheckAsync(imei14, imsi: imsi);
            Assert.Equal(Reason.NumberSwitchGrace, started.Reason);
            var runsOut = started.GraceExpiresAt.ToDateTimeOffset();
            while (DateTimeOffset.UtcNow <= runsOut)
            {
                await Task.Delay(1);
            }
        }

        // gRPC: the IMEI with its check digit (or the 16-digit IMEISV), the bare IMSI.
        var grpc = await node.CheckAsync(sv.Length == 0 ? Imei15(imei14) : imei14 + sv, imsi: imsi);
        var grpcAnswer = grpc.Reason == Reason.NotRegistered && nodeName == UnknownMode ? "UNKNOWN" : grpc.EquipmentStatus.ToString().ToUpperInvariant();

        // N5g-eir: imei-<15> or imeisv-<16>, supi=imsi-<digits>.
        var pei = sv.Length == 0 ? "imei-" + Imei15(imei14) : "imeisv-" + imei14 + sv;
        var n5g = await N5gEirCaller.GetAsync(H2Client.DotNet, node.GrpcPort, "pei=" + pei + (imsi.Length == 0 ? "" : "&supi=imsi-" + imsi));
        var n5gAnswer = n5g.Status switch
        {
            200 => n5g.EquipmentStatus,
            404 when n5g.Cause == "ERROR_EQUIPMENT_UNKNOWN" => "UNKNOWN",
            _ => $"HTTP {n5g.Status} {n5g.Body}",
        };

        // S13: IMEI AVP with the 14 digits, Software-Version, IMSI in User-Name.
        await using var s13 = await S13Client.ConnectAsync(node.Services.GetRequiredService<DiameterServer>().Port);
        var mica = await s13.CheckAsync(imei14, sv.Length == 0 ? "00" : sv, imsi);
        var s13Answer = mica switch
        {
            { ResultCode: ResultCode.Success, EquipmentStatus: { } s } => ((DiameterEquipmentStatus)s).ToString().ToUpperInvariant(),
            { ExperimentalResultCode: ResultCode.EquipmentUnknown } => "UNKNOWN",
            _ => $"Result-Code {mica.ResultCode} / {mica.ExperimentalResultCode}: {mica.ErrorMessage}",
        };

        Assert.Equal(rule, grpc.Reason);
        Assert.Equal((expected, expected, expected), (grpcAnswer, n5gAnswer, s13Answer));
    }

    /// <summary>One Redis and four nodes on it, seeded once, each with its S13 listener on a free loopback port.</summary>
    public sealed class Nodes : IAsyncLifetime
    {
        private readonly RedisServer _redis = new();
        private readonly Dictionary<string, TestNode> _nodes = [];

        public TestNode this[string name] => _nodes[name];

        public async Task InitializeAsync()
        {
            await _redis.StartAsync();
            var first = await StartAsync(Default, []);
            var ack = await first.ApplyOneAsync("same-answers-seed", Seed());
            Assert.True(ack.Accepted, ack.Error + string.Join(";", ack.Errors));

            // Started after the seed: each loads it before it reports ready.
            var now = DateTimeOffset.UtcNow;
            await StartAsync(ShortGrace, new() { ["Policy:NumberSwitchGrace"] = "00:00:00.001" });
            await StartAsync(Amnesty, new()
            {
                ["Policy:AutoWhitelist:Start"] = now.AddDays(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["Policy:AutoWhitelist:End"] = now.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            });
            await StartAsync(UnknownMode, new() { ["Policy:UnknownEquipment"] = "Unknown" });
        }

        public async Task DisposeAsync()
        {
            foreach (var node in _nodes.Values)
            {
                await node.DisposeAsync();
            }

            await _redis.DisposeAsync();
        }

        private async Task<TestNode> StartAsync(string name, Dictionary<string, string?> settings)
        {
            settings["Diameter:Listen"] = "127.0.0.1:0";
            settings["Diameter:OriginHost"] = "eir1." + S13Client.EirRealm;
            settings["Diameter:OriginRealm"] = S13Client.EirRealm;
            settings["Diameter:AllowedPeers:0"] = S13Client.PeerHost;
            var node = await TestNode.StartAsync(_redis.Configuration, settings);
            _nodes[name] = node;
            return node;
        }
    }

    /// <summary>A minimal MME: CER/CEA once, then one ME-Identity-Check-Request per call (TS 29.272 §7.2.19).</summary>
    private sealed class S13Client : IAsyncDisposable
    {
        public const string PeerHost = "mme1.epc.mnc001.mcc437.3gppnetwork.org";
        public const string PeerRealm = "epc.mnc001.mcc437.3gppnetwork.org";
        public const string EirRealm = "eir.mnc001.mcc437.3gppnetwork.org";

        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private uint _hopByHop;

        private S13Client(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
        }

        public static async Task<S13Client> ConnectAsync(int port)
        {
            Assert.NotEqual(0, port);
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var client = new S13Client(tcp);
            var cea = await client.ExchangeAsync(Cer(++client._hopByHop));
            Assert.Equal(ResultCode.Success, cea.ResultCode);
            return client;
        }

        public Task<Answer> CheckAsync(string imei, string softwareVersion, string imsi)
        {
            var hop = ++_hopByHop;
            return ExchangeAsync(Micr(hop, imei, softwareVersion, imsi));
        }

        public ValueTask DisposeAsync()
        {
            _tcp.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<Answer> ExchangeAsync(byte[] request)
        {
            await _stream.WriteAsync(request);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var header = new byte[4];
            await _stream.ReadExactlyAsync(header, limit.Token);
            var message = new byte[DiameterHeader.ReadLength(header)];
            header.CopyTo(message, 0);
            await _stream.ReadExactlyAsync(message.AsMemory(4), limit.Token);
            var answer = Parse(message);
            Assert.Equal(DiameterHeader.Read(request).HopByHopId, answer.HopByHop);
            return answer;
        }

        private static byte[] Cer(uint hop)
        {
            var buffer = new byte[1024];
            var w = new DiameterWriter(buffer);
            w.WriteHeader(CommandFlags.Request, CommandCode.CapabilitiesExchange, DiameterApplication.Common, hop, hop);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
            w.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, IPAddress.Loopback);
            w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
            w.WriteString(AvpCode.ProductName, AvpFlags.None, 0, "same-answers-test");
            w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
            return buffer[..w.Finish()];
        }

        private static byte[] Micr(uint hop, string imei, string softwareVersion, string imsi)
        {
            var buffer = new byte[1024];
            var w = new DiameterWriter(buffer);
            w.WriteHeader(CommandFlags.Request | CommandFlags.Proxiable, CommandCode.MeIdentityCheck, DiameterApplication.S13, hop, hop);
            w.WriteString(AvpCode.SessionId, AvpFlags.Mandatory, 0, $"{PeerHost};1;{hop}");
            var app = w.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
            w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
            w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
            w.EndGrouped(app);
            w.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, 1);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
            w.WriteString(AvpCode.DestinationRealm, AvpFlags.Mandatory, 0, EirRealm);
            var terminal = w.BeginGrouped(AvpCode.TerminalInformation, AvpFlags.Mandatory, VendorId.ThreeGpp);
            w.WriteString(AvpCode.Imei, AvpFlags.Mandatory, VendorId.ThreeGpp, imei);
            w.WriteString(AvpCode.SoftwareVersion, AvpFlags.Mandatory, VendorId.ThreeGpp, softwareVersion);
            w.EndGrouped(terminal);
            if (imsi.Length != 0)
            {
                w.WriteString(AvpCode.UserName, AvpFlags.Mandatory, 0, imsi);
            }

            return buffer[..w.Finish()];
        }

        private static Answer Parse(byte[] message)
        {
            var header = DiameterHeader.Read(message);
            Assert.False(header.IsRequest);
            uint? resultCode = null, experimental = null, status = null;
            string? error = null;
            var reader = new AvpReader(message.AsSpan(DiameterHeader.Size));
            while (reader.Read(out var avp) == AvpReadStatus.Ok)
            {
                if (avp.Is(AvpCode.ResultCode, 0) && avp.TryGetUInt32(out var rc))
                {
                    resultCode = rc;
                }
                else if (avp.Is(AvpCode.EquipmentStatus, VendorId.ThreeGpp) && avp.TryGetUInt32(out var es))
                {
                    status = es;
                }
                else if (avp.Is(AvpCode.ExperimentalResult, 0))
                {
                    var inner = avp.GetGrouped();
                    while (inner.Read(out var member) == AvpReadStatus.Ok)
                    {
                        if (member.Is(AvpCode.ExperimentalResultCode, 0) && member.TryGetUInt32(out var erc))
                        {
                            experimental = erc;
                        }
                    }
                }
                else if (avp.Is(AvpCode.ErrorMessage, 0))
                {
                    error = Encoding.UTF8.GetString(avp.Data);
                }
            }

            return new Answer(header.HopByHopId, resultCode, experimental, status, error);
        }

        public sealed record Answer(uint HopByHop, uint? ResultCode, uint? ExperimentalResultCode, uint? EquipmentStatus, string? ErrorMessage);
    }
}
