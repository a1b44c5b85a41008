using System.Buffers.Binary;
using System.Net;

namespace ImeiEir.Diameter.Codec;

/// <summary>
/// One AVP as it sits in a received message (RFC 6733 §4.1): a view over the message bytes, nothing copied.
/// <see cref="Raw"/> is the whole AVP without its padding (what a Failed-AVP quotes).
/// </summary>
public readonly ref struct Avp
{
    public Avp(uint code, AvpFlags flags, uint vendorId, ReadOnlySpan<byte> data, ReadOnlySpan<byte> raw)
    {
        Code = code;
        Flags = flags;
        VendorId = vendorId;
        Data = data;
        Raw = raw;
    }

    public uint Code { get; }

    public AvpFlags Flags { get; }

    /// <summary>The vendor id when the V bit is set, else 0.</summary>
    public uint VendorId { get; }

    /// <summary>The value (without header and padding).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Header and value, without padding.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    public bool IsMandatory => (Flags & AvpFlags.Mandatory) != 0;

    /// <summary>True for this code under this vendor (0: a base-protocol AVP without the V bit).</summary>
    public bool Is(uint code, uint vendorId) => Code == code && VendorId == vendorId;

    /// <summary>Unsigned32 / Enumerated / Integer32 value; false when the value is not exactly 4 bytes.</summary>
    public bool TryGetUInt32(out uint value)
    {
        if (Data.Length != 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(Data);
        return true;
    }

    /// <summary>Unsigned64 value; false when the value is not exactly 8 bytes.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        if (Data.Length != 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64BigEndian(Data);
        return true;
    }

    /// <summary>The AVPs inside a Grouped AVP.</summary>
    public AvpReader GetGrouped() => new(Data);

    /// <summary>Address value (RFC 6733 §4.3.1): 2-byte family (1 IPv4, 2 IPv6) and the address. Allocates.</summary>
    public bool TryGetAddress(out IPAddress? address)
    {
        address = null;
        if (Data.Length < 2)
        {
            return false;
        }

        var family = BinaryPrimitives.ReadUInt16BigEndian(Data);
        var bytes = Data[2..];
        if ((family == 1 && bytes.Length == 4) || (family == 2 && bytes.Length == 16))
        {
            address = new IPAddress(bytes);
            return true;
        }

        return false;
    }
}

/// <summary>Why an AVP could not be read.</summary>
public enum AvpReadStatus : byte
{
    /// <summary>An AVP was read.</summary>
    Ok = 0,
    /// <summary>No bytes left.</summary>
    End,
    /// <summary>
    /// Fewer bytes than an AVP header, an AVP length below its header size, or one running past the end of its
    /// container (DIAMETER_INVALID_AVP_LENGTH). The reader stops there: the rest cannot be framed.
    /// </summary>
    InvalidLength,
}

/// <summary>
/// Walks the AVPs of a message body or of a Grouped AVP, in order, without allocating. Stops at the first AVP whose
/// length does not fit; <see cref="ErrorHeader"/> then holds its (possibly truncated) header.
/// </summary>
public ref struct AvpReader
{
    public const int HeaderSize = 8;
    public const int VendorHeaderSize = 12;

    private readonly ReadOnlySpan<byte> _source;
    private int _offset;

    public AvpReader(ReadOnlySpan<byte> source)
    {
        _source = source;
        _offset = 0;
        ErrorHeader = default;
    }

    /// <summary>After <see cref="AvpReadStatus.InvalidLength"/>: the bytes of the offending AVP's header (up to 12).</summary>
    public ReadOnlySpan<byte> ErrorHeader { get; private set; }

    /// <summary>Reads the next AVP.</summary>
    public AvpReadStatus Read(out Avp avp)
    {
        avp = default;
        var rest = _source[_offset..];
        if (rest.IsEmpty)
        {
            return AvpReadStatus.End;
        }

        if (rest.Length < HeaderSize)
        {
            return Fail(rest);
        }

        var code = BinaryPrimitives.ReadUInt32BigEndian(rest);
        var flagsAndLength = BinaryPrimitives.ReadUInt32BigEndian(rest[4..]);
        var flags = (AvpFlags)(flagsAndLength >> 24);
        var length = (int)(flagsAndLength & 0xFFFFFF);
        var headerSize = (flags & AvpFlags.Vendor) != 0 ? VendorHeaderSize : HeaderSize;
        if (rest.Length < headerSize || length < headerSize || length > rest.Length)
        {
            return Fail(rest[..Math.Min(rest.Length, headerSize)]);
        }

        uint vendor = headerSize == VendorHeaderSize ? BinaryPrimitives.ReadUInt32BigEndian(rest[8..]) : 0;
        var raw = rest[..length];
        avp = new Avp(code, flags, vendor, raw[headerSize..], raw);

        // The last AVP may omit its padding only if the container ends right there; a padded length past the end
        // is tolerated (some stacks drop the final pad bytes).
        var padded = (length + 3) & ~3;
        _offset += Math.Min(padded, rest.Length);
        return AvpReadStatus.Ok;
    }

    private AvpReadStatus Fail(ReadOnlySpan<byte> header)
    {
        ErrorHeader = header;
        _offset = _source.Length;
        return AvpReadStatus.InvalidLength;
    }
}
