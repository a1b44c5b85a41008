using System.Diagnostics;
using System.Diagnostics.Metrics;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Server;

/// <summary>
/// Diameter metrics on the node's meter <c>ImeiEir</c> (so whatever exports the node's metrics exports these too):
/// answers by command, result and equipment status; open connections and peers. Tag values are precomputed strings,
/// so recording allocates nothing; with no listener it is one branch.
/// </summary>
internal sealed class DiameterMetrics : IDisposable
{
    public const string MeterName = "ImeiEir";

    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _answers;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _peers;
    private readonly Counter<long> _tlsHandshakes;

    public DiameterMetrics(IMeterFactory? factory)
    {
        Meter meter;
        if (factory is null)
        {
            // No DI (tests, the load tool): a meter of our own, disposed with the server.
            meter = _ownedMeter = new Meter(MeterName);
        }
        else
        {
            meter = factory.Create(MeterName);
        }

        Meter = meter;

        _answers = meter.CreateCounter<long>("imeieir.diameter.answers", "{answer}", "Diameter answers sent, by command, result code and equipment status.");
        _connections = meter.CreateUpDownCounter<long>("imeieir.diameter.connections", "{connection}", "Open Diameter connections (cleartext and TLS).");
        _peers = meter.CreateUpDownCounter<long>("imeieir.diameter.peers", "{peer}", "Diameter connections past a successful CER.");
        _tlsHandshakes = meter.CreateCounter<long>("imeieir.diameter.tls.handshakes", "{handshake}", "TLS handshakes on the Diameter TLS listener, by result (ok, certificate_refused, failed, closed, timeout).");
    }

    /// <summary>The meter the instruments live on (tests listen to exactly this one).</summary>
    public Meter Meter { get; }

    public void Answered(int commandCode, uint resultCode, DiameterEquipmentStatus? status = null)
    {
        if (!_answers.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "diameter.command", CommandName(commandCode) },
            { "diameter.result_code", ResultName(resultCode) },
            { "imeieir.equipment_status", StatusName(status) },
        };
        _answers.Add(1, tags);
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void PeerOpened() => _peers.Add(1);

    public void PeerClosed() => _peers.Add(-1);

    public void TlsHandshake(TlsHandshakeOutcome outcome)
        => _tlsHandshakes.Add(1, new KeyValuePair<string, object?>("result", outcome switch
        {
            TlsHandshakeOutcome.Succeeded => "ok",
            TlsHandshakeOutcome.CertificateRefused => "certificate_refused",
            TlsHandshakeOutcome.Failed => "failed",
            TlsHandshakeOutcome.Closed => "closed",
            _ => "timeout",
        }));

    public void Dispose() => _ownedMeter?.Dispose();

    private static string CommandName(int code) => code switch
    {
        CommandCode.CapabilitiesExchange => "CE",
        CommandCode.DeviceWatchdog => "DW",
        CommandCode.DisconnectPeer => "DP",
        CommandCode.MeIdentityCheck => "MIC",
        _ => "other",
    };

    private static string ResultName(uint code) => code switch
    {
        ResultCode.Success => "2001",
        ResultCode.CommandUnsupported => "3001",
        ResultCode.TooBusy => "3004",
        ResultCode.ApplicationUnsupported => "3007",
        ResultCode.InvalidHeaderBits => "3008",
        ResultCode.UnknownPeer => "3010",
        ResultCode.InvalidAvpValue => "5004",
        ResultCode.MissingAvp => "5005",
        ResultCode.NoCommonApplication => "5010",
        ResultCode.UnsupportedVersion => "5011",
        ResultCode.InvalidAvpLength => "5014",
        ResultCode.InvalidMessageLength => "5015",
        ResultCode.EquipmentUnknown => "5422",
        _ => "other",
    };

    private static string StatusName(DiameterEquipmentStatus? status) => status switch
    {
        DiameterEquipmentStatus.Whitelisted => "whitelisted",
        DiameterEquipmentStatus.Blacklisted => "blacklisted",
        DiameterEquipmentStatus.Greylisted => "greylisted",
        _ => "none",
    };
}
