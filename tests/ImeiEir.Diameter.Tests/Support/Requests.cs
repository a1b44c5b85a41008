using System.Net;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>Requests as an MME would send them, built with the library's writer (the codec tests pin its bytes).</summary>
internal static class Requests
{
    public const string PeerHost = "mme1.epc.mnc001.mcc437.3gppnetwork.org";
    public const string PeerRealm = "epc.mnc001.mcc437.3gppnetwork.org";
    public const string EirRealm = "eir.mnc001.mcc437.3gppnetwork.org";

    public static byte[] Cer(uint hopByHop = 1, string host = PeerHost, string realm = PeerRealm, bool advertiseS13 = true, bool asVendorSpecific = false)
        => Build((ref DiameterWriter w) =>
        {
            w.WriteHeader(CommandFlags.Request, CommandCode.CapabilitiesExchange, DiameterApplication.Common, hopByHop, hopByHop);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, host);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, realm);
            w.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, IPAddress.Loopback);
            w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, 10415);
            w.WriteString(AvpCode.ProductName, AvpFlags.None, 0, "test-mme");
            w.WriteUInt32(AvpCode.SupportedVendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
            var app = advertiseS13 ? DiameterApplication.S13 : 16777251u; // S6a otherwise
            if (asVendorSpecific)
            {
                var g = w.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
                w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
                w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, app);
                w.EndGrouped(g);
            }
            else
            {
                w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, app);
            }
        });

    /// <summary>An ME-Identity-Check-Request. Pass null to leave an AVP out.</summary>
    public static byte[] Micr(
        uint hopByHop,
        string? imei,
        string? imsi = null,
        string? sessionId = "default",
        bool terminalInformation = true,
        bool vendorSpecificApplicationId = true,
        uint applicationId = DiameterApplication.S13,
        int commandCode = CommandCode.MeIdentityCheck,
        string? softwareVersion = "01",
        CommandFlags extraFlags = CommandFlags.None)
        => Build((ref DiameterWriter w) =>
        {
            w.WriteHeader(CommandFlags.Request | CommandFlags.Proxiable | extraFlags, commandCode, applicationId, hopByHop, hopByHop ^ 0x5A5A0000);
            if (sessionId is not null)
            {
                w.WriteString(AvpCode.SessionId, AvpFlags.Mandatory, 0, sessionId == "default" ? $"{PeerHost};1;{hopByHop}" : sessionId);
            }

            if (vendorSpecificApplicationId)
            {
                var g = w.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
                w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
                w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
                w.EndGrouped(g);
            }

            w.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, 1);
            w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
            w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
            w.WriteString(AvpCode.DestinationRealm, AvpFlags.Mandatory, 0, EirRealm);
            if (terminalInformation)
            {
                var t = w.BeginGrouped(AvpCode.TerminalInformation, AvpFlags.Mandatory, VendorId.ThreeGpp);
                if (imei is not null)
                {
                    w.WriteString(AvpCode.Imei, AvpFlags.Mandatory, VendorId.ThreeGpp, imei);
                }

                if (softwareVersion is not null)
                {
                    w.WriteString(AvpCode.SoftwareVersion, AvpFlags.Mandatory, VendorId.ThreeGpp, softwareVersion);
                }

                w.EndGrouped(t);
            }

            if (imsi is not null)
            {
                w.WriteString(AvpCode.UserName, AvpFlags.Mandatory, 0, imsi);
            }
        });

    public static byte[] Dwr(uint hopByHop) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request, CommandCode.DeviceWatchdog, DiameterApplication.Common, hopByHop, hopByHop);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
    });

    /// <summary>A CEA 2001 from the MME to a peer's CER (S13 advertised), as when the MME is the dialled side.</summary>
    public static byte[] Cea(DiameterHeader cer, string host = PeerHost, string realm = PeerRealm) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.None, CommandCode.CapabilitiesExchange, DiameterApplication.Common, cer.HopByHopId, cer.EndToEndId);
        w.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, host);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, realm);
        w.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, IPAddress.Loopback);
        w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, 10415);
        w.WriteString(AvpCode.ProductName, AvpFlags.None, 0, "test-mme");
        w.WriteUInt32(AvpCode.SupportedVendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
    });

    /// <summary>The DWA to a peer's DWR.</summary>
    public static byte[] Dwa(DiameterHeader dwr, string host = PeerHost, string realm = PeerRealm) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.None, CommandCode.DeviceWatchdog, DiameterApplication.Common, dwr.HopByHopId, dwr.EndToEndId);
        w.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, ResultCode.Success);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, host);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, realm);
    });

    public static byte[] Dpr(uint hopByHop) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request, CommandCode.DisconnectPeer, DiameterApplication.Common, hopByHop, hopByHop);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
        w.WriteUInt32(AvpCode.DisconnectCause, AvpFlags.Mandatory, 0, (uint)DisconnectCause.Rebooting);
    });

    public static byte[] Build(BuildAction action)
    {
        var buffer = new byte[4096];
        var writer = new DiameterWriter(buffer);
        action(ref writer);
        return buffer.AsSpan(0, writer.Finish()).ToArray();
    }

    public delegate void BuildAction(ref DiameterWriter writer);
}
