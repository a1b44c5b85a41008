using System.Buffers;
using System.Net;
using System.Text;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Codec;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Server;

/// <summary>What the connection does after a message was handled.</summary>
internal enum Disposition : byte
{
    Continue,
    /// <summary>Flush what was written, then close (rejected CER, request before CER, DPR, DPA to our DPR).</summary>
    Close,
}

/// <summary>The per-connection state the handler reads and moves on (one connection, one thread at a time).</summary>
internal sealed class PeerContext
{
    public PeerContext(IPAddress localAddress, string remote)
    {
        LocalAddress = localAddress.IsIPv4MappedToIPv6 ? localAddress.MapToIPv4() : localAddress;
        Remote = remote;
    }

    /// <summary>Our address on this connection: the Host-IP-Address of our CEA.</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>The remote endpoint, for logs.</summary>
    public string Remote { get; }

    /// <summary>True after a successful CER/CEA: only then are other requests served.</summary>
    public bool IsOpen { get; set; }

    /// <summary>The peer's Origin-Host from its CER.</summary>
    public string PeerHost { get; set; } = "";

    /// <summary>The hop-by-hop id of the DPR we sent on shutdown, when we did.</summary>
    public uint? DprHopByHop { get; set; }
}

/// <summary>
/// Turns one complete, well-framed Diameter message into its answer (RFC 6733 base + TS 29.272 S13 MICR), written
/// straight into the output. Stateless apart from <see cref="PeerContext"/>; shared by every connection.
/// Allocation-free on the MICR path: the request is read in place, the IMEI and IMSI are decoded into stack buffers,
/// Session-Id is echoed byte for byte.
/// </summary>
internal sealed class DiameterHandler
{
    /// <summary>Auth-Session-State NO_STATE_MAINTAINED: S13 keeps no session state.</summary>
    private const uint NoStateMaintained = 1;

    private static readonly byte[] NoCommonApplicationText = "no common application: S13 (16777252) required"u8.ToArray();

    private readonly EquipmentChecker _checker;
    private readonly IOverloadGate _gate;
    private readonly ILogger _logger;
    private readonly DiameterMetrics _metrics;
    private readonly byte[] _originHost;
    private readonly byte[] _originRealm;
    private readonly byte[] _productName;
    private readonly byte[][] _allowedPeers;
    private readonly byte[][] _allowedRealms;
    private readonly uint _vendorId;
    private readonly uint _originStateId;
    private readonly int _answerBudget;

    /// <param name="gate">The host's overload gate (MICRs only; never CER, DWR, DPR); none: never sheds.</param>
    public DiameterHandler(DiameterOptions options, EquipmentChecker checker, ILogger logger, DiameterMetrics metrics, uint originStateId, IOverloadGate? gate = null)
    {
        _checker = checker;
        _gate = gate ?? NeverShed.Instance;
        _logger = logger;
        _metrics = metrics;
        _originHost = Encoding.UTF8.GetBytes(options.OriginHost.Trim());
        _originRealm = Encoding.UTF8.GetBytes(options.OriginRealm.Trim());
        _productName = Encoding.UTF8.GetBytes(options.ProductName);
        _allowedPeers = ToIdentities(options.AllowedPeers);
        _allowedRealms = ToIdentities(options.AllowedRealms);
        _vendorId = options.VendorId;
        _originStateId = originStateId;

        // Everything an answer carries besides what it quotes from the request (Session-Id, a Failed-AVP: each at
        // most the request's size): header, identities, Result-Code or Experimental-Result, Host-IP-Address,
        // application ids, Error-Message. Generous, so the writer never runs out.
        _answerBudget = 512 + _originHost.Length + _originRealm.Length + _productName.Length;
    }

    public uint OriginStateId => _originStateId;

    /// <summary>The most bytes the answer to a message of <paramref name="messageLength"/> bytes can take.</summary>
    public int AnswerBound(int messageLength) => _answerBudget + (2 * messageLength);

    /// <summary>Handles one message of exactly <c>header.Length</c> bytes (framing already checked).</summary>
    public Disposition Handle(ReadOnlySpan<byte> message, PeerContext peer, IBufferWriter<byte> output)
    {
        var header = DiameterHeader.Read(message);
        if (!header.IsRequest)
        {
            return HandleAnswer(in header, peer);
        }

        if (((byte)header.Flags & DiameterHeader.ReservedFlagBits) != 0 || header.IsError)
        {
            // A request never carries E; reserved bits must be 0. The framing is fine, so the connection lives on.
            Refused(peer, ResultCode.InvalidHeaderBits, "reserved or E bit set in a request");
            WriteError(in header, message, ResultCode.InvalidHeaderBits, FailedAvp.None, "invalid command flags"u8, output);
            return Disposition.Continue;
        }

        var isCer = header.ApplicationId == DiameterApplication.Common && header.CommandCode == CommandCode.CapabilitiesExchange;
        if (!peer.IsOpen && !isCer)
        {
            DiameterLog.RequestBeforeCer(_logger, header.CommandCode, peer.Remote);
            WriteError(in header, message, ResultCode.UnknownPeer, FailedAvp.None, "CER/CEA first"u8, output);
            return Disposition.Close;
        }

        switch (header.ApplicationId)
        {
            case DiameterApplication.Common:
                switch (header.CommandCode)
                {
                    case CommandCode.CapabilitiesExchange:
                        return HandleCer(message, in header, peer, output);
                    case CommandCode.DeviceWatchdog:
                        WriteWatchdogAnswer(in header, output);
                        return Disposition.Continue;
                    case CommandCode.DisconnectPeer:
                        DiameterLog.PeerDisconnecting(_logger, peer.PeerHost);
                        WriteDisconnectAnswer(in header, output);
                        return Disposition.Close;
                }

                break;
            case DiameterApplication.S13:
                if (header.CommandCode == CommandCode.MeIdentityCheck)
                {
                    HandleMeIdentityCheck(message, in header, peer, output);
                    return Disposition.Continue;
                }

                break;
            default:
                Refused(peer, ResultCode.ApplicationUnsupported, "application not supported");
                WriteError(in header, message, ResultCode.ApplicationUnsupported, FailedAvp.None, "only S13 (16777252) is served"u8, output);
                return Disposition.Continue;
        }

        Refused(peer, ResultCode.CommandUnsupported, "command not supported");
        WriteError(in header, message, ResultCode.CommandUnsupported, FailedAvp.None, "command not supported"u8, output);
        return Disposition.Continue;
    }

    /// <summary>
    /// Answers a request whose framing is lost (bad version or length) as best it can: only the header is trusted,
    /// so no Session-Id is echoed. Nothing is written for an answer (answers are never answered).
    /// </summary>
    public void WriteFramingError(in DiameterHeader header, uint resultCode, IBufferWriter<byte> output)
    {
        if (header.IsRequest)
        {
            WriteError(in header, default, resultCode, FailedAvp.None, default, output);
        }
    }

    /// <summary>Our DPR (Disconnect-Cause REBOOTING), sent to open peers on shutdown.</summary>
    public void WriteDisconnectRequest(uint hopByHop, uint endToEnd, IBufferWriter<byte> output)
    {
        var writer = new DiameterWriter(output.GetSpan(_answerBudget));
        writer.WriteHeader(CommandFlags.Request, CommandCode.DisconnectPeer, DiameterApplication.Common, hopByHop, endToEnd);
        WriteOrigin(ref writer);
        writer.WriteUInt32(AvpCode.DisconnectCause, AvpFlags.Mandatory, 0, (uint)DisconnectCause.Rebooting);
        output.Advance(writer.Finish());
    }

    private Disposition HandleAnswer(in DiameterHeader header, PeerContext peer)
    {
        // We only ever send DPR; its DPA ends the connection. Any other answer is dropped.
        if (header.CommandCode == CommandCode.DisconnectPeer && peer.DprHopByHop == header.HopByHopId)
        {
            DiameterLog.DisconnectAnswered(_logger, peer.PeerHost);
            return Disposition.Close;
        }

        DiameterLog.UnexpectedAnswer(_logger, header.CommandCode, peer.Remote);
        return Disposition.Continue;
    }

    private Disposition HandleCer(ReadOnlySpan<byte> message, in DiameterHeader header, PeerContext peer, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> host = default;
        ReadOnlySpan<byte> realm = default;
        bool hasHost = false, hasRealm = false, common = false;
        var reader = new AvpReader(message[DiameterHeader.Size..]);
        AvpReadStatus status;
        while ((status = reader.Read(out var avp)) == AvpReadStatus.Ok)
        {
            if (avp.VendorId != 0)
            {
                continue;
            }

            switch (avp.Code)
            {
                case AvpCode.OriginHost:
                    host = avp.Data;
                    hasHost = true;
                    break;
                case AvpCode.OriginRealm:
                    realm = avp.Data;
                    hasRealm = true;
                    break;
                case AvpCode.AuthApplicationId or AvpCode.AcctApplicationId:
                    common |= IsOurApplication(in avp);
                    break;
                case AvpCode.VendorSpecificApplicationId:
                    var inner = avp.GetGrouped();
                    while (inner.Read(out var member) == AvpReadStatus.Ok)
                    {
                        if (member.Is(AvpCode.AuthApplicationId, 0) || member.Is(AvpCode.AcctApplicationId, 0))
                        {
                            common |= IsOurApplication(in member);
                        }
                    }

                    break;
            }
        }

        if (status == AvpReadStatus.InvalidLength)
        {
            return RefuseCer(in header, peer, ResultCode.InvalidAvpLength, FailedAvp.BadLength(reader.ErrorHeader), output);
        }

        if (!hasHost || host.IsEmpty)
        {
            return RefuseCer(in header, peer, ResultCode.MissingAvp, FailedAvp.Missing(AvpCode.OriginHost, 0), output);
        }

        if (!hasRealm || realm.IsEmpty)
        {
            return RefuseCer(in header, peer, ResultCode.MissingAvp, FailedAvp.Missing(AvpCode.OriginRealm, 0), output);
        }

        if (!IsAllowed(host, _allowedPeers) && !IsAllowed(realm, _allowedRealms))
        {
            DiameterLog.UnknownPeer(_logger, peer.Remote, Printable(host), Printable(realm));
            WriteCapabilitiesAnswer(in header, peer, ResultCode.UnknownPeer, FailedAvp.None, output);
            return Disposition.Close;
        }

        if (!common)
        {
            DiameterLog.CerRefused(_logger, peer.Remote, ResultCode.NoCommonApplication);
            WriteCapabilitiesAnswer(in header, peer, ResultCode.NoCommonApplication, FailedAvp.None, output, NoCommonApplicationText);
            return Disposition.Close;
        }

        if (!peer.IsOpen)
        {
            peer.IsOpen = true;
            peer.PeerHost = Printable(host);
            _metrics.PeerOpened();
            DiameterLog.PeerOpen(_logger, peer.PeerHost, Printable(realm), peer.Remote);
        }

        WriteCapabilitiesAnswer(in header, peer, ResultCode.Success, FailedAvp.None, output);
        return Disposition.Continue;
    }

    private Disposition RefuseCer(in DiameterHeader header, PeerContext peer, uint resultCode, FailedAvp failed, IBufferWriter<byte> output)
    {
        DiameterLog.CerRefused(_logger, peer.Remote, resultCode);
        WriteCapabilitiesAnswer(in header, peer, resultCode, failed, output);
        return Disposition.Close;
    }

    private void HandleMeIdentityCheck(ReadOnlySpan<byte> message, in DiameterHeader header, PeerContext peer, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> sessionId = default, imei = default, imeiRaw = default, userName = default, userNameRaw = default;
        bool hasSession = false, hasHost = false, hasRealm = false, hasTerminal = false, hasImei = false, hasUserName = false;

        var reader = new AvpReader(message[DiameterHeader.Size..]);
        AvpReadStatus status;
        while ((status = reader.Read(out var avp)) == AvpReadStatus.Ok)
        {
            if (avp.VendorId == 0)
            {
                switch (avp.Code)
                {
                    case AvpCode.SessionId when !hasSession:
                        sessionId = avp.Data;
                        hasSession = true;
                        break;
                    case AvpCode.OriginHost:
                        hasHost = !avp.Data.IsEmpty;
                        break;
                    case AvpCode.OriginRealm:
                        hasRealm = !avp.Data.IsEmpty;
                        break;
                    case AvpCode.UserName when !hasUserName:
                        userName = avp.Data;
                        userNameRaw = avp.Raw;
                        hasUserName = true;
                        break;
                }
            }
            else if (avp.Is(AvpCode.TerminalInformation, VendorId.ThreeGpp) && !hasTerminal)
            {
                hasTerminal = true;
                var inner = avp.GetGrouped();
                AvpReadStatus innerStatus;
                while ((innerStatus = inner.Read(out var member)) == AvpReadStatus.Ok)
                {
                    if (member.Is(AvpCode.Imei, VendorId.ThreeGpp) && !hasImei)
                    {
                        imei = member.Data;
                        imeiRaw = member.Raw;
                        hasImei = true;
                    }
                }

                if (innerStatus == AvpReadStatus.InvalidLength)
                {
                    RefuseCheck(in header, message, peer, ResultCode.InvalidAvpLength,
                        FailedAvp.BadLength(inner.ErrorHeader, AvpCode.TerminalInformation, VendorId.ThreeGpp), "AVP length invalid in Terminal-Information"u8, output);
                    return;
                }
            }
        }

        if (status == AvpReadStatus.InvalidLength)
        {
            RefuseCheck(in header, message, peer, ResultCode.InvalidAvpLength, FailedAvp.BadLength(reader.ErrorHeader), "AVP length invalid"u8, output);
            return;
        }

        // Mandatory AVPs we need (TS 29.272 §7.2.19). Destination-Realm and Auth-Session-State are mandatory in the
        // ABNF too, but nothing here depends on them, so a request without them is still served.
        FailedAvp missing = !hasSession ? FailedAvp.Missing(AvpCode.SessionId, 0)
            : !hasHost ? FailedAvp.Missing(AvpCode.OriginHost, 0)
            : !hasRealm ? FailedAvp.Missing(AvpCode.OriginRealm, 0)
            : !hasTerminal ? FailedAvp.Missing(AvpCode.TerminalInformation, VendorId.ThreeGpp)
            : !hasImei ? FailedAvp.Missing(AvpCode.Imei, VendorId.ThreeGpp, AvpCode.TerminalInformation, VendorId.ThreeGpp)
            : FailedAvp.None;
        if (!missing.IsNone)
        {
            RefuseCheck(in header, message, peer, ResultCode.MissingAvp, missing, "mandatory AVP missing"u8, output);
            return;
        }

        // IMEI: 14 digits (TAC+SNR), or 15 with the check digit (TS 29.272 §7.3.4). Decoded into the stack.
        Span<char> imeiChars = stackalloc char[15];
        if (imei.Length is not (14 or 15) || !TryAsciiDigits(imei, imeiChars))
        {
            RefuseCheck(in header, message, peer, ResultCode.InvalidAvpValue,
                FailedAvp.Quote(imeiRaw, AvpCode.TerminalInformation, VendorId.ThreeGpp), "IMEI must be 14 or 15 digits"u8, output);
            return;
        }

        // User-Name: the IMSI, 5 to 15 digits (TS 23.003 §2.2). Optional; present but malformed is an error.
        Span<char> imsiChars = stackalloc char[15];
        var imsiLength = 0;
        if (hasUserName)
        {
            if (userName.Length is < 5 or > 15 || !TryAsciiDigits(userName, imsiChars))
            {
                RefuseCheck(in header, message, peer, ResultCode.InvalidAvpValue, FailedAvp.Quote(userNameRaw), "User-Name must be an IMSI of 5 to 15 digits"u8, output);
                return;
            }

            imsiLength = userName.Length;
        }

        // Never a verdict from an index that is not loaded: 3004 sends the MME to another EIR (RFC 6733 §7.1.3).
        if (!_checker.IsReady)
        {
            DiameterLog.NotReady(_logger);
            WriteError(in header, message, ResultCode.TooBusy, FailedAvp.None, "EIR data not loaded yet"u8, output);
            return;
        }

        // Overloaded (the host's gate counts it): the same 3004, which sends the MME to another EIR peer. Only
        // MICRs: answering CER, DWR and DPR keeps the connection, which a 3004 must not cost.
        if (_gate.ShouldShed(CheckInterface.S13))
        {
            WriteError(in header, message, ResultCode.TooBusy, FailedAvp.None, "EIR overloaded"u8, output);
            return;
        }

        var result = _checker.Check(imeiChars[..imei.Length], default, imsiChars[..imsiLength], CheckInterface.S13);
        if (!result.IsValid)
        {
            // The checks above mirror the core's parsers; this is the backstop should the core grow stricter.
            var failed = result.InvalidField == CheckField.Imsi
                ? FailedAvp.Quote(userNameRaw)
                : FailedAvp.Quote(imeiRaw, AvpCode.TerminalInformation, VendorId.ThreeGpp);
            RefuseCheck(in header, message, peer, ResultCode.InvalidAvpValue, failed, "invalid identifier"u8, output);
            return;
        }

        var decision = result.Decision;
        var unknown = decision.IsUnknownEquipment && _checker.Options.UnknownEquipment == UnknownEquipmentMode.Unknown;

        var writer = new DiameterWriter(output.GetSpan(AnswerBound(message.Length)));
        writer.WriteHeader(header.Flags & CommandFlags.Proxiable, header.CommandCode, header.ApplicationId, header.HopByHopId, header.EndToEndId);
        writer.WriteBytes(AvpCode.SessionId, AvpFlags.Mandatory, 0, sessionId);
        if (unknown)
        {
            WriteExperimentalResult(ref writer, ResultCode.EquipmentUnknown);
        }
        else
        {
            writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
        }

        writer.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, NoStateMaintained);
        WriteOrigin(ref writer);
        if (unknown)
        {
            _metrics.Answered(CommandCode.MeIdentityCheck, ResultCode.EquipmentUnknown);
        }
        else
        {
            var equipmentStatus = ToDiameter(decision.Status);
            writer.WriteUInt32(AvpCode.EquipmentStatus, AvpFlags.Mandatory, VendorId.ThreeGpp, (uint)equipmentStatus);
            _metrics.Answered(CommandCode.MeIdentityCheck, ResultCode.Success, equipmentStatus);
        }

        output.Advance(writer.Finish());
    }

    /// <summary>Core status → Equipment-Status AVP value (the two enums number differently).</summary>
    internal static DiameterEquipmentStatus ToDiameter(EquipmentStatus status) => status switch
    {
        EquipmentStatus.Whitelisted => DiameterEquipmentStatus.Whitelisted,
        EquipmentStatus.Greylisted => DiameterEquipmentStatus.Greylisted,
        _ => DiameterEquipmentStatus.Blacklisted,
    };

    private void RefuseCheck(in DiameterHeader header, ReadOnlySpan<byte> message, PeerContext peer, uint resultCode, FailedAvp failed, ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        Refused(peer, resultCode, "invalid ME-Identity-Check-Request");
        WriteError(in header, message, resultCode, failed, text, output);
    }

    /// <summary>
    /// An error answer in the request's command and application (RFC 6733 §7.2): Session-Id when the request had one,
    /// Result-Code (E bit for 3xxx), Origin-Host/Realm, Error-Message, Failed-AVP; S13 answers also carry
    /// Auth-Session-State, which their ABNF requires.
    /// </summary>
    private void WriteError(in DiameterHeader header, ReadOnlySpan<byte> message, uint resultCode, FailedAvp failed, ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        var writer = new DiameterWriter(output.GetSpan(AnswerBound(message.Length)));
        var flags = header.Flags & CommandFlags.Proxiable;
        if (ResultCode.IsProtocolError(resultCode))
        {
            flags |= CommandFlags.Error;
        }

        writer.WriteHeader(flags, header.CommandCode, header.ApplicationId, header.HopByHopId, header.EndToEndId);
        if (message.Length > DiameterHeader.Size && TryFindSessionId(message[DiameterHeader.Size..], out var sessionId))
        {
            writer.WriteBytes(AvpCode.SessionId, AvpFlags.Mandatory, 0, sessionId);
        }

        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, resultCode);
        if (header.ApplicationId == DiameterApplication.S13)
        {
            writer.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, NoStateMaintained);
        }

        WriteOrigin(ref writer);
        if (!text.IsEmpty)
        {
            writer.WriteBytes(AvpCode.ErrorMessage, AvpFlags.None, 0, text);
        }

        failed.Write(ref writer);
        output.Advance(writer.Finish());
        _metrics.Answered(header.CommandCode, resultCode);
    }

    private void WriteCapabilitiesAnswer(in DiameterHeader header, PeerContext peer, uint resultCode, FailedAvp failed, IBufferWriter<byte> output, ReadOnlySpan<byte> text = default)
    {
        var writer = new DiameterWriter(output.GetSpan(_answerBudget + failed.MaxSize));
        var flags = ResultCode.IsProtocolError(resultCode) ? CommandFlags.Error : CommandFlags.None;
        writer.WriteHeader(flags, CommandCode.CapabilitiesExchange, DiameterApplication.Common, header.HopByHopId, header.EndToEndId);
        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, resultCode);
        WriteOrigin(ref writer);
        writer.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, peer.LocalAddress);
        writer.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, _vendorId);
        writer.WriteBytes(AvpCode.ProductName, AvpFlags.None, 0, _productName);
        writer.WriteUInt32(AvpCode.OriginStateId, AvpFlags.Mandatory, 0, _originStateId);
        if (!text.IsEmpty)
        {
            writer.WriteBytes(AvpCode.ErrorMessage, AvpFlags.None, 0, text);
        }

        failed.Write(ref writer);
        writer.WriteUInt32(AvpCode.SupportedVendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        writer.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        var vsai = writer.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
        writer.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        writer.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        writer.EndGrouped(vsai);
        output.Advance(writer.Finish());
        _metrics.Answered(CommandCode.CapabilitiesExchange, resultCode);
    }

    private void WriteWatchdogAnswer(in DiameterHeader header, IBufferWriter<byte> output)
    {
        var writer = new DiameterWriter(output.GetSpan(_answerBudget));
        writer.WriteHeader(CommandFlags.None, CommandCode.DeviceWatchdog, DiameterApplication.Common, header.HopByHopId, header.EndToEndId);
        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
        WriteOrigin(ref writer);
        writer.WriteUInt32(AvpCode.OriginStateId, AvpFlags.Mandatory, 0, _originStateId);
        output.Advance(writer.Finish());
        _metrics.Answered(CommandCode.DeviceWatchdog, ResultCode.Success);
    }

    private void WriteDisconnectAnswer(in DiameterHeader header, IBufferWriter<byte> output)
    {
        var writer = new DiameterWriter(output.GetSpan(_answerBudget));
        writer.WriteHeader(CommandFlags.None, CommandCode.DisconnectPeer, DiameterApplication.Common, header.HopByHopId, header.EndToEndId);
        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
        WriteOrigin(ref writer);
        output.Advance(writer.Finish());
        _metrics.Answered(CommandCode.DisconnectPeer, ResultCode.Success);
    }

    private void WriteOrigin(ref DiameterWriter writer)
    {
        writer.WriteBytes(AvpCode.OriginHost, AvpFlags.Mandatory, 0, _originHost);
        writer.WriteBytes(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, _originRealm);
    }

    private static void WriteExperimentalResult(ref DiameterWriter writer, uint code)
    {
        var mark = writer.BeginGrouped(AvpCode.ExperimentalResult, AvpFlags.Mandatory, 0);
        writer.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        writer.WriteUInt32(AvpCode.ExperimentalResultCode, AvpFlags.Mandatory, 0, code);
        writer.EndGrouped(mark);
    }

    private void Refused(PeerContext peer, uint resultCode, string reason)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            DiameterLog.RequestRefused(_logger, peer.Remote, resultCode, reason);
        }
    }

    private static bool TryFindSessionId(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> sessionId)
    {
        var reader = new AvpReader(body);
        while (reader.Read(out var avp) == AvpReadStatus.Ok)
        {
            if (avp.Is(AvpCode.SessionId, 0))
            {
                sessionId = avp.Data;
                return true;
            }
        }

        sessionId = default;
        return false;
    }

    private static bool IsOurApplication(in Avp avp)
        => avp.TryGetUInt32(out var id) && id is DiameterApplication.S13 or DiameterApplication.Relay;

    private static bool IsAllowed(ReadOnlySpan<byte> identity, byte[][] allowed)
    {
        foreach (var candidate in allowed)
        {
            if (Ascii.EqualsIgnoreCase(identity, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryAsciiDigits(ReadOnlySpan<byte> source, Span<char> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if ((uint)(b - '0') > 9)
            {
                return false;
            }

            destination[i] = (char)b;
        }

        return true;
    }

    /// <summary>A peer identity for logs: printable ASCII only, at most 255 characters (it comes off the wire).</summary>
    private static string Printable(ReadOnlySpan<byte> identity)
    {
        var text = Encoding.UTF8.GetString(identity[..Math.Min(identity.Length, 255)]);
        return string.Create(text.Length, text, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = s[i] is >= ' ' and < (char)127 ? s[i] : '?';
            }
        });
    }

    private static byte[][] ToIdentities(IEnumerable<string> names)
        => names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => Encoding.UTF8.GetBytes(n.Trim())).ToArray();
}
