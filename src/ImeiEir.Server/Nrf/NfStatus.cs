namespace ImeiEir.Server.Nrf;

/// <summary>The values of TS 29.510 NFStatus this node uses (for the NF instance and its one service).</summary>
internal static class NfStatus
{
    public const string Registered = "REGISTERED";
    public const string Suspended = "SUSPENDED";
}
