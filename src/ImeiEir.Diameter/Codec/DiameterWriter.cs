using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ImeiEir.Diameter.Codec;

/// <summary>
/// Writes one Diameter message into a caller's buffer (for the server: straight into the socket pipe's memory).
/// Lengths of the message and of grouped AVPs are patched when they close, so nothing is measured twice. The V flag
/// is set exactly when a vendor id is given. Throws <see cref="ArgumentException"/> when the buffer is too small:
/// callers size it from <see cref="AvpSize"/>.
/// </summary>
public ref struct DiameterWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public DiameterWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _position;

    /// <summary>The encoded size of an AVP with <paramref name="dataLength"/> value bytes, padding included.</summary>
    public static int AvpSize(int dataLength, bool vendor)
        => (((vendor ? AvpReader.VendorHeaderSize : AvpReader.HeaderSize) + dataLength) + 3) & ~3;

    /// <summary>Starts the message; its length is filled in by <see cref="Finish"/>.</summary>
    public void WriteHeader(CommandFlags flags, int commandCode, uint applicationId, uint hopByHopId, uint endToEndId)
    {
        new DiameterHeader(DiameterHeader.SupportedVersion, 0, flags, commandCode, applicationId, hopByHopId, endToEndId)
            .Write(_buffer[_position..]);
        _position += DiameterHeader.Size;
    }

    /// <summary>Unsigned32, Enumerated or Integer32 AVP.</summary>
    public void WriteUInt32(uint code, AvpFlags flags, uint vendorId, uint value)
    {
        var data = WriteAvpHeader(code, flags, vendorId, 4);
        BinaryPrimitives.WriteUInt32BigEndian(data, value);
        _position += 4;
    }

    /// <summary>Unsigned64 AVP.</summary>
    public void WriteUInt64(uint code, AvpFlags flags, uint vendorId, ulong value)
    {
        var data = WriteAvpHeader(code, flags, vendorId, 8);
        BinaryPrimitives.WriteUInt64BigEndian(data, value);
        _position += 8;
    }

    /// <summary>OctetString, UTF8String or DiameterIdentity AVP from its encoded bytes.</summary>
    public void WriteBytes(uint code, AvpFlags flags, uint vendorId, scoped ReadOnlySpan<byte> value)
    {
        var data = WriteAvpHeader(code, flags, vendorId, value.Length);
        value.CopyTo(data);
        _position += value.Length;
        Pad();
    }

    /// <summary>UTF8String AVP from text (ASCII in practice: identities, digits).</summary>
    public void WriteString(uint code, AvpFlags flags, uint vendorId, scoped ReadOnlySpan<char> value)
    {
        var byteCount = System.Text.Encoding.UTF8.GetByteCount(value);
        var data = WriteAvpHeader(code, flags, vendorId, byteCount);
        System.Text.Encoding.UTF8.GetBytes(value, data);
        _position += byteCount;
        Pad();
    }

    /// <summary>Address AVP (RFC 6733 §4.3.1).</summary>
    public void WriteAddress(uint code, AvpFlags flags, uint vendorId, IPAddress address)
    {
        var ipv4 = address.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        var data = WriteAvpHeader(code, flags, vendorId, 2 + addressLength);
        BinaryPrimitives.WriteUInt16BigEndian(data, ipv4 ? (ushort)1 : (ushort)2);
        if (!address.TryWriteBytes(data[2..], out _))
        {
            ThrowTooSmall();
        }

        _position += 2 + addressLength;
        Pad();
    }

    /// <summary>Copies an already encoded AVP (header included, e.g. one quoted in a Failed-AVP) and pads it.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> avp)
    {
        avp.CopyTo(_buffer[_position..]);
        _position += avp.Length;
        Pad();
    }

    /// <summary>Opens a Grouped AVP; write its members, then pass the returned mark to <see cref="EndGrouped"/>.</summary>
    public int BeginGrouped(uint code, AvpFlags flags, uint vendorId)
    {
        var start = _position;
        WriteAvpHeader(code, flags, vendorId, 0);
        return start;
    }

    /// <summary>Closes a Grouped AVP: patches its length (members are already padded).</summary>
    public readonly void EndGrouped(int mark) => PatchAvpLength(mark, _position - mark);

    /// <summary>Patches the message length and returns it.</summary>
    public readonly int Finish()
    {
        var word = BinaryPrimitives.ReadUInt32BigEndian(_buffer);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer, (word & 0xFF000000) | ((uint)_position & 0xFFFFFF));
        return _position;
    }

    private Span<byte> WriteAvpHeader(uint code, AvpFlags flags, uint vendorId, int dataLength)
    {
        var vendor = vendorId != 0;
        var headerSize = vendor ? AvpReader.VendorHeaderSize : AvpReader.HeaderSize;
        var dest = _buffer[_position..];
        if (dest.Length < AvpSize(dataLength, vendor))
        {
            ThrowTooSmall();
        }

        flags = vendor ? flags | AvpFlags.Vendor : flags & ~AvpFlags.Vendor;
        BinaryPrimitives.WriteUInt32BigEndian(dest, code);
        BinaryPrimitives.WriteUInt32BigEndian(dest[4..], ((uint)flags << 24) | (uint)(headerSize + dataLength));
        if (vendor)
        {
            BinaryPrimitives.WriteUInt32BigEndian(dest[8..], vendorId);
        }

        _position += headerSize;
        return dest.Slice(headerSize, dataLength);
    }

    private readonly void PatchAvpLength(int mark, int length)
    {
        var slot = _buffer.Slice(mark + 4, 4);
        var word = BinaryPrimitives.ReadUInt32BigEndian(slot);
        BinaryPrimitives.WriteUInt32BigEndian(slot, (word & 0xFF000000) | ((uint)length & 0xFFFFFF));
    }

    private void Pad()
    {
        var pad = (4 - (_position & 3)) & 3;
        if (pad != 0)
        {
            _buffer.Slice(_position, pad).Clear();
            _position += pad;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooSmall() => throw new ArgumentException("The buffer is too small for the Diameter message.");
}
