using System.Net;
using System.Text;
using ImeiEir.Core.Identifiers;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Fuzz;

/// <summary>
/// The seed corpora (<c>corpus/&lt;target&gt;/</c>), written by <c>--write-seeds</c> so that binary seeds come from
/// the product's own <see cref="DiameterWriter"/> rather than from hand-typed bytes. Small, valid and edge inputs:
/// AFL mutates from them. Identifiers are the fixture's made-up ones.
/// </summary>
internal static class Seeds
{
    public const string PeerHost = "mme1.epc.mnc001.mcc437.3gppnetwork.org";
    public const string PeerRealm = "epc.mnc001.mcc437.3gppnetwork.org";
    private const string EirRealm = "eir.mnc001.mcc437.3gppnetwork.org";

    public static void Write(string corpus)
    {
        var registered15 = new ImeiKey(long.Parse(Fixture.Registered, System.Globalization.CultureInfo.InvariantCulture)).ToString15();
        WriteText(corpus, "identifiers",
        [
            Fixture.Registered, registered15, Fixture.Registered + "9", Fixture.Registered + "01", "imei-" + registered15,
            "imei-" + Fixture.Registered, "imeisv-" + Fixture.Registered + "01", "mac-00-11-22-33-44-55", "00000000000000",
            Fixture.BoundImsi, "imsi-" + Fixture.BoundImsi, "00101", "+996700123456", "msisdn-996700123456", "700123456",
            "+700123456", "0996700123456", "99670012345678901",
        ]);
        WriteText(corpus, "n5g-query",
        [
            $"?pei=imei-{registered15}&supi=imsi-{Fixture.BoundImsi}&gpsi=msisdn-{Fixture.BoundMsisdn}",
            $"?pei=imeisv-{Fixture.Stolen}01",
            $"pei=imei%2D{registered15}&supported-features=1f",
            $"?pei=imei-{Fixture.Bound}&supi=imsi-437059876543210",
            $"?pei=imei-{Fixture.Bound}&gpsi=msisdn-700123456",
            $"?pei=imei-{Fixture.Registered}&pei=imei-{Fixture.Stolen}",
            $"?pei=imei-{Fixture.Registered}&supi=nai-user@realm",
            $"?pei=imei-{Fixture.Registered}&gpsi=extid-a@b",
            "?pei=mac-00-11-22-33-44-55",
            "?pei=&supi=%zz&x%2Dy=1",
        ]);
        WriteBinary(corpus, "diameter",
        [
            [0x00, .. Cer(1)],
            [0x00, .. Cer(2, vendorSpecific: true), .. Ecr(3, Fixture.Registered, Fixture.BoundImsi), .. Dwr(4), .. Dpr(5)],
            [0x01, .. Ecr(6, registered15, null)],
            [0x01, .. Ecr(7, Fixture.Stolen, "437059876543210")],
            [0x01, .. Ecr(8, Fixture.Bound, "437059876543210")],
            [0x03, .. Ecr(9, "35123456000009", "250011234567890")],
            [0x05, .. Ecr(10, Fixture.Registered, null)],
            [0x01, .. Ecr(11, "3512345600000X", "4370")],
            [0x00, .. Dwr(12)],
        ]);
        WriteText(corpus, "credential",
        [
            "Bearer " + CredentialTarget.Keys[0], "bearer   " + CredentialTarget.Keys[1] + "  ", "Basic Zm9vOmJhcg==", "Bearer ",
            "Bearer unknown-key",
        ]);
        var expires = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        WriteText(corpus, "jwt",
        [
            JwtTarget.Sign(new Dictionary<string, object> { ["sub"] = "mme1", ["roles"] = new[] { "check" } }, expires),
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtbWUxIiwiaXNzIjoiaHR0cHM6Ly9hdXRoLmVpci50ZXN0In0.",
            "eyJhbGciOiJIUzI1NiIsImtpZCI6ImZ1enota2V5In0.eyJzdWIiOiJ4In0.c2ln",
            "a.b.c",
            "a.b.c.d.e",
        ]);
    }

    public static byte[] Cer(uint hopByHop, bool vendorSpecific = false) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request, CommandCode.CapabilitiesExchange, DiameterApplication.Common, hopByHop, hopByHop);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
        w.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, IPAddress.Loopback);
        w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        w.WriteString(AvpCode.ProductName, AvpFlags.None, 0, "fuzz-mme");
        w.WriteUInt32(AvpCode.SupportedVendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        if (vendorSpecific)
        {
            var g = w.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
            w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
            w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
            w.EndGrouped(g);
        }
        else
        {
            w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        }
    });

    /// <summary>An ME-Identity-Check-Request (ECR) as an MME sends it (TS 29.272 §7.2.19).</summary>
    private static byte[] Ecr(uint hopByHop, string imei, string? imsi) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request | CommandFlags.Proxiable, CommandCode.MeIdentityCheck, DiameterApplication.S13, hopByHop, hopByHop ^ 0x5A5A0000);
        w.WriteString(AvpCode.SessionId, AvpFlags.Mandatory, 0, $"{PeerHost};1;{hopByHop}");
        var g = w.BeginGrouped(AvpCode.VendorSpecificApplicationId, AvpFlags.Mandatory, 0);
        w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, VendorId.ThreeGpp);
        w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        w.EndGrouped(g);
        w.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, 1);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
        w.WriteString(AvpCode.DestinationRealm, AvpFlags.Mandatory, 0, EirRealm);
        var t = w.BeginGrouped(AvpCode.TerminalInformation, AvpFlags.Mandatory, VendorId.ThreeGpp);
        w.WriteString(AvpCode.Imei, AvpFlags.Mandatory, VendorId.ThreeGpp, imei);
        w.WriteString(AvpCode.SoftwareVersion, AvpFlags.Mandatory, VendorId.ThreeGpp, "01");
        w.EndGrouped(t);
        if (imsi is not null)
        {
            w.WriteString(AvpCode.UserName, AvpFlags.Mandatory, 0, imsi);
        }
    });

    private static byte[] Dwr(uint hopByHop) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request, CommandCode.DeviceWatchdog, DiameterApplication.Common, hopByHop, hopByHop);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
    });

    private static byte[] Dpr(uint hopByHop) => Build((ref DiameterWriter w) =>
    {
        w.WriteHeader(CommandFlags.Request, CommandCode.DisconnectPeer, DiameterApplication.Common, hopByHop, hopByHop);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, PeerHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, PeerRealm);
        w.WriteUInt32(AvpCode.DisconnectCause, AvpFlags.Mandatory, 0, (uint)DisconnectCause.Rebooting);
    });

    private delegate void Writes(ref DiameterWriter writer);

    private static byte[] Build(Writes writes)
    {
        var buffer = new byte[4096];
        var writer = new DiameterWriter(buffer);
        writes(ref writer);
        return buffer.AsSpan(0, writer.Finish()).ToArray();
    }

    private static void WriteText(string corpus, string target, string[] seeds)
        => WriteBinary(corpus, target, [.. seeds.Select(Encoding.UTF8.GetBytes)]);

    private static void WriteBinary(string corpus, string target, byte[][] seeds)
    {
        var folder = Path.Combine(corpus, target);
        Directory.CreateDirectory(folder);
        for (var i = 0; i < seeds.Length; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"seed-{i:D2}"), seeds[i]);
        }
    }
}
