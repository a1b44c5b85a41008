using System.Net;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Tests.Codec;

public class DiameterHeaderTests
{
    // A DWR header written out by hand from RFC 6733 §3: version 1, length 20, R flag, code 280, app 0.
    private static readonly byte[] DwrHeader =
    [
        0x01, 0x00, 0x00, 0x14,
        0x80, 0x00, 0x01, 0x18,
        0x00, 0x00, 0x00, 0x00,
        0x12, 0x34, 0x56, 0x78,
        0x9A, 0xBC, 0xDE, 0xF0,
    ];

    [Fact]
    public void Read_HandWrittenBytes_DecodesEveryField()
    {
        var header = DiameterHeader.Read(DwrHeader);

        Assert.Equal(1, header.Version);
        Assert.Equal(20, header.Length);
        Assert.Equal(CommandFlags.Request, header.Flags);
        Assert.Equal(CommandCode.DeviceWatchdog, header.CommandCode);
        Assert.Equal(0u, header.ApplicationId);
        Assert.Equal(0x12345678u, header.HopByHopId);
        Assert.Equal(0x9ABCDEF0u, header.EndToEndId);
        Assert.True(header.IsRequest);
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        var header = new DiameterHeader(1, 0xABCDEC, CommandFlags.Request | CommandFlags.Proxiable, 324, DiameterApplication.S13, 7, uint.MaxValue);
        var bytes = new byte[20];
        header.Write(bytes);

        Assert.Equal(header, DiameterHeader.Read(bytes));
        Assert.Equal(0xABCDEC, DiameterHeader.ReadLength(bytes));
    }

    [Fact]
    public void Read_FewerThan20Bytes_Throws()
        => Assert.ThrowsAny<ArgumentException>(() => DiameterHeader.Read(new byte[19]));
}

public class DiameterWriterTests
{
    [Fact]
    public void WriteString_OddLength_PadsWithZerosAndKeepsTheUnpaddedLength()
    {
        var buffer = new byte[64];
        buffer.AsSpan().Fill(0xEE);
        var writer = new DiameterWriter(buffer);

        writer.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, "abc");

        Assert.Equal(12, writer.Length);
        Assert.Equal(
            new byte[] { 0, 0, 1, 8, 0x40, 0, 0, 11, (byte)'a', (byte)'b', (byte)'c', 0 },
            buffer[..12]);
    }

    [Fact]
    public void WriteUInt32_WithVendor_SetsVendorFlagAndTwelveByteHeader()
    {
        var buffer = new byte[64];
        var writer = new DiameterWriter(buffer);

        writer.WriteUInt32(AvpCode.EquipmentStatus, AvpFlags.Mandatory, VendorId.ThreeGpp, 2);

        Assert.Equal(
            new byte[] { 0, 0, 0x05, 0xA5, 0xC0, 0, 0, 16, 0, 0, 0x28, 0xAF, 0, 0, 0, 2 },
            buffer[..16]);
    }

    [Fact]
    public void WriteUInt32_WithoutVendor_ClearsAVendorFlagPassedByMistake()
    {
        var buffer = new byte[64];
        var writer = new DiameterWriter(buffer);

        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory | AvpFlags.Vendor, 0, 2001);

        Assert.Equal(12, writer.Length);
        Assert.Equal(0x40, buffer[4]);
    }

    [Fact]
    public void Grouped_Nested_PatchesEveryLength()
    {
        var buffer = new byte[256];
        var writer = new DiameterWriter(buffer);
        writer.WriteHeader(CommandFlags.Request, CommandCode.MeIdentityCheck, DiameterApplication.S13, 1, 2);
        var failed = writer.BeginGrouped(AvpCode.FailedAvp, AvpFlags.Mandatory, 0);
        var terminal = writer.BeginGrouped(AvpCode.TerminalInformation, AvpFlags.Mandatory, VendorId.ThreeGpp);
        writer.WriteString(AvpCode.Imei, AvpFlags.Mandatory, VendorId.ThreeGpp, "35123456000001"); // 12 + 14 = 26 → 28
        writer.EndGrouped(terminal);
        writer.EndGrouped(failed);
        var length = writer.Finish();

        Assert.Equal(20 + 8 + 12 + 28, length);
        var header = DiameterHeader.Read(buffer);
        Assert.Equal(length, header.Length);

        var reader = new AvpReader(buffer.AsSpan(20, length - 20));
        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var outer));
        Assert.Equal(AvpCode.FailedAvp, outer.Code);
        Assert.Equal(48, outer.Raw.Length);
        var inner = outer.GetGrouped();
        Assert.Equal(AvpReadStatus.Ok, inner.Read(out var ti));
        Assert.True(ti.Is(AvpCode.TerminalInformation, VendorId.ThreeGpp));
        Assert.Equal(40, ti.Raw.Length);
        var innermost = ti.GetGrouped();
        Assert.Equal(AvpReadStatus.Ok, innermost.Read(out var imei));
        Assert.True(imei.Is(AvpCode.Imei, VendorId.ThreeGpp));
        Assert.Equal("35123456000001"u8.ToArray(), imei.Data.ToArray());
        Assert.Equal(AvpReadStatus.End, innermost.Read(out _));
        Assert.Equal(AvpReadStatus.End, reader.Read(out _));
    }

    [Theory]
    [InlineData("192.0.2.7", 1, 4)]
    [InlineData("2001:db8::1", 2, 16)]
    public void WriteAddress_ThenRead_RoundTripsWithItsFamily(string text, int family, int size)
    {
        var buffer = new byte[64];
        var writer = new DiameterWriter(buffer);
        writer.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, IPAddress.Parse(text));

        var reader = new AvpReader(buffer.AsSpan(0, writer.Length));
        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var avp));
        Assert.Equal(2 + size, avp.Data.Length);
        Assert.Equal(family, avp.Data[1]);
        Assert.True(avp.TryGetAddress(out var address));
        Assert.Equal(IPAddress.Parse(text), address);
    }

    [Fact]
    public void WriteUInt64_ThenRead_RoundTrips()
    {
        var buffer = new byte[64];
        var writer = new DiameterWriter(buffer);
        writer.WriteUInt64(1, AvpFlags.None, 0, 0x0102030405060708);

        var reader = new AvpReader(buffer.AsSpan(0, writer.Length));
        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var avp));
        Assert.True(avp.TryGetUInt64(out var value));
        Assert.Equal(0x0102030405060708UL, value);
        Assert.False(avp.TryGetUInt32(out _));
    }

    [Fact]
    public void Write_BufferTooSmall_ThrowsArgumentException()
    {
        var threw = false;
        try
        {
            var writer = new DiameterWriter(new byte[10]);
            writer.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, "a-long-host-name");
        }
        catch (ArgumentException)
        {
            threw = true;
        }

        Assert.True(threw);
    }
}

public class AvpReaderTests
{
    [Fact]
    public void Read_Empty_IsEnd()
    {
        var reader = new AvpReader([]);
        Assert.Equal(AvpReadStatus.End, reader.Read(out _));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 1, 8, 0x40, 0 })] // truncated header
    [InlineData(new byte[] { 0, 0, 1, 8, 0x40, 0, 0, 4 })] // length below the 8-byte header
    [InlineData(new byte[] { 0, 0, 1, 8, 0x40, 0, 0, 13, 1, 2, 3, 4 })] // length past the end
    [InlineData(new byte[] { 0, 0, 5, 0xA2, 0xC0, 0, 0, 8 })] // V bit but no room for the vendor id
    [InlineData(new byte[] { 0, 0, 5, 0xA2, 0xC0, 0, 0, 10, 0, 0, 0x28, 0xAF })] // V bit, length below 12
    public void Read_BadLength_IsInvalidLengthWithTheHeaderKept(byte[] bytes)
    {
        var reader = new AvpReader(bytes);

        Assert.Equal(AvpReadStatus.InvalidLength, reader.Read(out _));
        Assert.Equal(bytes[..Math.Min(bytes.Length, (bytes[4] & 0x80) != 0 ? 12 : 8)], reader.ErrorHeader.ToArray());
        Assert.Equal(AvpReadStatus.End, reader.Read(out _));
    }

    [Fact]
    public void Read_LastAvpWithoutPadding_IsAccepted()
    {
        byte[] bytes = [0, 0, 0, 1, 0x40, 0, 0, 9, (byte)'x'];
        var reader = new AvpReader(bytes);

        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var avp));
        Assert.Equal(AvpCode.UserName, avp.Code);
        Assert.Equal("x"u8.ToArray(), avp.Data.ToArray());
        Assert.Equal(AvpReadStatus.End, reader.Read(out _));
    }

    [Fact]
    public void Read_AvpsInSequence_SkipsPaddingBetweenThem()
    {
        var buffer = new byte[64];
        var writer = new DiameterWriter(buffer);
        writer.WriteString(AvpCode.UserName, AvpFlags.Mandatory, 0, "43701");
        writer.WriteUInt32(AvpCode.ResultCode, AvpFlags.Mandatory, 0, 2001);

        var reader = new AvpReader(buffer.AsSpan(0, writer.Length));
        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var first));
        Assert.Equal("43701"u8.ToArray(), first.Data.ToArray());
        Assert.Equal(13, first.Raw.Length);
        Assert.Equal(AvpReadStatus.Ok, reader.Read(out var second));
        Assert.True(second.TryGetUInt32(out var code));
        Assert.Equal(2001u, code);
        Assert.True(second.IsMandatory);
        Assert.Equal(AvpReadStatus.End, reader.Read(out _));
    }
}
