namespace ImeiEir.Diameter.Codec;

/// <summary>Command flags of the Diameter header (RFC 6733 §3). The low four bits are reserved and must be 0.</summary>
[Flags]
public enum CommandFlags : byte
{
    None = 0,
    Retransmitted = 0x10,
    Error = 0x20,
    Proxiable = 0x40,
    Request = 0x80,
}

/// <summary>AVP flags (RFC 6733 §4.1). The low five bits are reserved.</summary>
[Flags]
public enum AvpFlags : byte
{
    None = 0,
    Protected = 0x20,
    Mandatory = 0x40,
    Vendor = 0x80,
}

/// <summary>Command codes this server speaks.</summary>
public static class CommandCode
{
    public const int CapabilitiesExchange = 257;
    public const int DeviceWatchdog = 280;
    public const int DisconnectPeer = 282;

    /// <summary>ME-Identity-Check (TS 29.272 §7.2.19).</summary>
    public const int MeIdentityCheck = 324;
}

/// <summary>Application ids.</summary>
public static class DiameterApplication
{
    /// <summary>Diameter common messages (CER, DWR, DPR).</summary>
    public const uint Common = 0;

    /// <summary>S13/S13' (TS 29.272 §7.1.8).</summary>
    public const uint S13 = 16777252;

    /// <summary>Relay: a peer that advertises it supports every application.</summary>
    public const uint Relay = 0xFFFFFFFF;
}

/// <summary>Vendor ids.</summary>
public static class VendorId
{
    public const uint Ietf = 0;

    /// <summary>3GPP.</summary>
    public const uint ThreeGpp = 10415;
}

/// <summary>AVP codes (base protocol: vendor 0; S13: vendor 10415).</summary>
public static class AvpCode
{
    public const uint UserName = 1;
    public const uint HostIpAddress = 257;
    public const uint AuthApplicationId = 258;
    public const uint AcctApplicationId = 259;
    public const uint VendorSpecificApplicationId = 260;
    public const uint SessionId = 263;
    public const uint OriginHost = 264;
    public const uint SupportedVendorId = 265;
    public const uint VendorId = 266;
    public const uint FirmwareRevision = 267;
    public const uint ResultCode = 268;
    public const uint ProductName = 269;
    public const uint DisconnectCause = 273;
    public const uint AuthSessionState = 277;
    public const uint OriginStateId = 278;
    public const uint FailedAvp = 279;
    public const uint ErrorMessage = 281;
    public const uint DestinationRealm = 283;
    public const uint DestinationHost = 293;
    public const uint OriginRealm = 296;
    public const uint ExperimentalResult = 297;
    public const uint ExperimentalResultCode = 298;

    // 3GPP (vendor 10415), TS 29.272 §7.3.
    public const uint TerminalInformation = 1401;
    public const uint Imei = 1402;
    public const uint SoftwareVersion = 1403;
    public const uint EquipmentStatus = 1445;
}

/// <summary>Result codes (RFC 6733 §7.1, TS 29.272 §7.4).</summary>
public static class ResultCode
{
    public const uint Success = 2001;

    // Protocol errors: the answer carries the E bit.
    public const uint CommandUnsupported = 3001;
    public const uint UnableToDeliver = 3002;
    public const uint TooBusy = 3004;
    public const uint ApplicationUnsupported = 3007;
    public const uint InvalidHeaderBits = 3008;
    public const uint InvalidAvpBits = 3009;
    public const uint UnknownPeer = 3010;

    // Permanent failures.
    public const uint AvpUnsupported = 5001;
    public const uint InvalidAvpValue = 5004;
    public const uint MissingAvp = 5005;
    public const uint NoCommonApplication = 5010;
    public const uint UnsupportedVersion = 5011;
    public const uint UnableToComply = 5012;
    public const uint InvalidAvpLength = 5014;
    public const uint InvalidMessageLength = 5015;

    /// <summary>DIAMETER_ERROR_EQUIPMENT_UNKNOWN, an Experimental-Result-Code of vendor 10415.</summary>
    public const uint EquipmentUnknown = 5422;

    /// <summary>Protocol errors (3xxx) are answered with the E bit set (RFC 6733 §7.1.3).</summary>
    public static bool IsProtocolError(uint code) => code is >= 3000 and < 4000;
}

/// <summary>Values of the Equipment-Status AVP (TS 29.272 §7.3.51).</summary>
public enum DiameterEquipmentStatus : uint
{
    Whitelisted = 0,
    Blacklisted = 1,
    Greylisted = 2,
}

/// <summary>Values of the Disconnect-Cause AVP (RFC 6733 §5.4.3).</summary>
public enum DisconnectCause : uint
{
    Rebooting = 0,
    Busy = 1,
    DoNotWantToTalkToYou = 2,
}
