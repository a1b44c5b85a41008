using System.Net;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImeiEir.Fuzz;

/// <summary>
/// The S13 server from the bytes a peer sends on: framing as <c>DiameterConnection</c> does it (version, length, a
/// message at a time, stop at the first incomplete one or when the handler closes), then
/// <see cref="DiameterHandler.Handle"/> for each message: header, AVP walk, CER/DWR/DPR/ECR handling and the answer
/// written. No socket. Every answer is parsed back and checked: one whole message, identifiers echoed, AVPs well
/// framed, one result, E bit exactly for protocol errors.
/// <para>
/// The first input byte picks the connection's situation (the rest is the byte stream): bit 0 set, the peer already
/// passed a CER (so every request is served; without it the input must open with its own CER); bit 1, the
/// <c>Policy:UnknownEquipment</c> mode Unknown (5422); bit 2, the node has not loaded its data (3004).
/// </para>
/// </summary>
internal static class DiameterTarget
{
    public static readonly DiameterOptions Options = new()
    {
        Listen = "127.0.0.1:0",
        OriginHost = "eir1.eir.mnc001.mcc437.3gppnetwork.org",
        OriginRealm = "eir.mnc001.mcc437.3gppnetwork.org",
        AllowedPeers = [Seeds.PeerHost],
        AllowedRealms = ["roaming.mnc099.mcc437.3gppnetwork.org"],
    };

    private static readonly DiameterHandler[] Handlers =
    [
        Create(Fixture.Checker(UnknownEquipmentMode.Blacklisted)),
        Create(Fixture.Checker(UnknownEquipmentMode.Unknown)),
        Create(Fixture.Checker(UnknownEquipmentMode.Blacklisted, loaded: false)),
        Create(Fixture.Checker(UnknownEquipmentMode.Unknown, loaded: false)),
    ];

    private static readonly byte[] OpeningCer = Seeds.Cer(1);
    private static readonly byte[] OriginHost = System.Text.Encoding.UTF8.GetBytes(Options.OriginHost);
    private static readonly byte[] OriginRealm = System.Text.Encoding.UTF8.GetBytes(Options.OriginRealm);
    private static readonly BoundedWriter Output = new();

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var mode = data[0];
        var handler = Handlers[(mode >> 1) & 3];
        var stream = data[1..];
        var peer = new PeerContext(IPAddress.Loopback, "fuzz");
        if ((mode & 1) != 0)
        {
            Output.Reset();
            var opened = handler.Handle(OpeningCer, peer, Output);
            Invariant.That(opened == Disposition.Continue && peer.IsOpen, "diameter: the fixed CER opens the peer");
        }

        Feed(handler, peer, stream);
    }

    /// <summary>What <c>DiameterConnection.Process</c> does with one read of bytes.</summary>
    private static void Feed(DiameterHandler handler, PeerContext peer, ReadOnlySpan<byte> stream)
    {
        while (stream.Length >= DiameterHeader.Size)
        {
            var header = DiameterHeader.Read(stream);
            Output.Reset();
            var framing = header.Version != DiameterHeader.SupportedVersion ? ResultCode.UnsupportedVersion
                : header.Length < DiameterHeader.Size || (header.Length & 3) != 0 || header.Length > Options.MaxMessageSize ? ResultCode.InvalidMessageLength
                : 0u;
            if (framing != 0)
            {
                handler.WriteFramingError(in header, framing, Output);
                if (header.IsRequest)
                {
                    CheckAnswer(in header, default, Output.Written, out var result);
                    Invariant.That(result == framing, "diameter: a framing error is answered with its result code");
                }
                else
                {
                    Invariant.That(Output.WrittenCount == 0, "diameter: an answer with bad framing is not answered");
                }

                return;
            }

            if (stream.Length < header.Length)
            {
                return;
            }

            var message = stream[..header.Length];
            stream = stream[header.Length..];
            var wasOpen = peer.IsOpen;
            var disposition = handler.Handle(message, peer, Output);
            if (!header.IsRequest)
            {
                Invariant.That(Output.WrittenCount == 0, "diameter: answers are never answered");
            }
            else
            {
                CheckAnswer(in header, message, Output.Written, out var result);
                if (!wasOpen && !(header.CommandCode == CommandCode.CapabilitiesExchange && header.ApplicationId == DiameterApplication.Common && !header.IsError
                    && ((byte)header.Flags & DiameterHeader.ReservedFlagBits) == 0))
                {
                    Invariant.That(result is ResultCode.UnknownPeer or ResultCode.InvalidHeaderBits, "diameter: nothing but a CER is served before CER");
                    Invariant.That(!peer.IsOpen, "diameter: only a CER opens the peer");
                }

                if (peer.IsOpen && !wasOpen)
                {
                    Invariant.That(result == ResultCode.Success && disposition == Disposition.Continue, "diameter: a peer opens only with CEA 2001");
                }
            }

            if (disposition == Disposition.Close)
            {
                return;
            }
        }
    }

    /// <summary>The answer to <paramref name="header"/>'s request: exactly one whole, well-framed message that fits the rules.</summary>
    private static void CheckAnswer(in DiameterHeader header, ReadOnlySpan<byte> request, ReadOnlySpan<byte> written, out uint result)
    {
        Invariant.That(written.Length >= DiameterHeader.Size, "diameter: every request gets an answer");
        var answer = DiameterHeader.Read(written);
        Invariant.That(answer.Version == DiameterHeader.SupportedVersion && answer.Length == written.Length && (answer.Length & 3) == 0,
            "diameter: one whole answer, its length field its size, a multiple of 4");
        Invariant.That(!answer.IsRequest && ((byte)answer.Flags & DiameterHeader.ReservedFlagBits) == 0 && (answer.Flags & CommandFlags.Retransmitted) == 0,
            "diameter: an answer: R, T and the reserved bits clear");
        Invariant.That(answer.HopByHopId == header.HopByHopId && answer.EndToEndId == header.EndToEndId, "diameter: hop-by-hop and end-to-end echoed");
        Invariant.That(answer.CommandCode == header.CommandCode && answer.ApplicationId == header.ApplicationId, "diameter: command and application echoed");
        Invariant.That((answer.Flags & CommandFlags.Proxiable) == 0 || header.IsProxiable, "diameter: P only when the request had it");

        uint? resultCode = null, experimental = null, equipmentStatus = null;
        ReadOnlySpan<byte> sessionId = default;
        bool hasSession = false, hasHost = false, hasRealm = false;
        var index = 0;
        var reader = new AvpReader(written[DiameterHeader.Size..]);
        AvpReadStatus status;
        while ((status = reader.Read(out var avp)) == AvpReadStatus.Ok)
        {
            Invariant.That((avp.Flags & AvpFlags.Vendor) != 0 == (avp.VendorId != 0), "diameter: V set exactly with a vendor id");
            Invariant.That(((byte)avp.Flags & 0x1F) == 0, "diameter: reserved AVP flag bits clear");
            Invariant.That(avp.Raw.Length != 0 && (index == 0 || !avp.Is(AvpCode.SessionId, 0)), "diameter: Session-Id, if any, comes first");
            switch (avp.Code)
            {
                case AvpCode.SessionId when avp.VendorId == 0:
                    sessionId = avp.Data;
                    hasSession = true;
                    break;
                case AvpCode.ResultCode when avp.VendorId == 0:
                    var isUInt32 = avp.TryGetUInt32(out var rc);
                    Invariant.That(resultCode is null && isUInt32, "diameter: one Result-Code, 4 bytes");
                    resultCode = rc;
                    break;
                case AvpCode.ExperimentalResult when avp.VendorId == 0:
                    Invariant.That(experimental is null, "diameter: one Experimental-Result");
                    experimental = ReadExperimental(avp.GetGrouped());
                    break;
                case AvpCode.OriginHost when avp.VendorId == 0:
                    hasHost = avp.Data.SequenceEqual(OriginHost);
                    break;
                case AvpCode.OriginRealm when avp.VendorId == 0:
                    hasRealm = avp.Data.SequenceEqual(OriginRealm);
                    break;
                case AvpCode.EquipmentStatus when avp.VendorId == VendorId.ThreeGpp:
                    var esIsUInt32 = avp.TryGetUInt32(out var es);
                    Invariant.That(esIsUInt32 && es <= 2, "diameter: Equipment-Status is 0, 1 or 2");
                    equipmentStatus = es;
                    break;
                case AvpCode.FailedAvp or AvpCode.VendorSpecificApplicationId when avp.VendorId == 0:
                    CheckGrouped(avp.GetGrouped(), 0);
                    break;
            }

            index++;
        }

        Invariant.That(status == AvpReadStatus.End, "diameter: the answer's AVPs frame exactly");
        Invariant.That(hasHost && hasRealm, "diameter: Origin-Host and Origin-Realm are ours");
        Invariant.That(resultCode.HasValue != experimental.HasValue, "diameter: exactly one of Result-Code and Experimental-Result");
        result = resultCode ?? experimental!.Value;
        Invariant.That(answer.IsError == (resultCode.HasValue && ResultCode.IsProtocolError(resultCode.Value)), "diameter: E bit exactly for 3xxx");

        if (hasSession)
        {
            Invariant.That(FirstSessionId(request, out var requested) && sessionId.SequenceEqual(requested), "diameter: Session-Id echoed byte for byte");
        }

        if (header.ApplicationId == DiameterApplication.S13 && header.CommandCode == CommandCode.MeIdentityCheck
            && result is ResultCode.Success or ResultCode.EquipmentUnknown)
        {
            Invariant.That(hasSession, "diameter: an ECA carries the Session-Id");
            Invariant.That((result == ResultCode.Success) == equipmentStatus.HasValue, "diameter: Equipment-Status exactly with 2001");
        }
        else
        {
            Invariant.That(!equipmentStatus.HasValue, "diameter: Equipment-Status only in a successful ECA");
        }
    }

    private static uint ReadExperimental(AvpReader inner)
    {
        uint? code = null;
        var vendor = false;
        while (inner.Read(out var member) == AvpReadStatus.Ok)
        {
            if (member.Is(AvpCode.ExperimentalResultCode, 0) && member.TryGetUInt32(out var c))
            {
                code = c;
            }

            vendor |= member.Is(AvpCode.VendorId, 0);
        }

        Invariant.That(code.HasValue && vendor, "diameter: Experimental-Result has Vendor-Id and a code");
        return code!.Value;
    }

    private static void CheckGrouped(AvpReader inner, int depth)
    {
        AvpReadStatus status;
        while ((status = inner.Read(out var member)) == AvpReadStatus.Ok)
        {
            if (depth == 0 && member.Is(AvpCode.TerminalInformation, VendorId.ThreeGpp))
            {
                CheckGrouped(member.GetGrouped(), depth + 1);
            }
        }

        Invariant.That(status == AvpReadStatus.End, "diameter: a grouped AVP in an answer frames exactly (Failed-AVP included)");
    }

    /// <summary>The request's first base Session-Id, as far as its AVPs frame.</summary>
    private static bool FirstSessionId(ReadOnlySpan<byte> request, out ReadOnlySpan<byte> sessionId)
    {
        sessionId = default;
        if (request.Length <= DiameterHeader.Size)
        {
            return false;
        }

        var reader = new AvpReader(request[DiameterHeader.Size..]);
        while (reader.Read(out var avp) == AvpReadStatus.Ok)
        {
            // As the handler reads it: code 263 with vendor id 0 (V clear, or V set with vendor 0).
            if (avp.Is(AvpCode.SessionId, 0))
            {
                sessionId = avp.Data;
                return true;
            }
        }

        return false;
    }

    private static DiameterHandler Create(EquipmentChecker checker)
        => new(Options, checker, NullLogger.Instance, new DiameterMetrics(null), originStateId: 7);
}
