using System.Buffers.Binary;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Server;

/// <summary>
/// What a Failed-AVP (RFC 6733 §7.5) quotes, without copying anything until it is written: an AVP as received, an
/// example of a missing AVP (empty value), or the header of an AVP whose length was wrong. Any of them may be wrapped
/// in the Grouped AVP it sits in (RFC 6733 §7.5 allows the Grouped AVP "which in turn contains the single offending
/// AVP"), so the peer sees the path, e.g. Terminal-Information / IMEI.
/// </summary>
internal readonly ref struct FailedAvp
{
    private enum Kind : byte
    {
        None,
        Raw,
        Missing,
        BadLengthHeader,
    }

    private readonly Kind _kind;
    private readonly ReadOnlySpan<byte> _raw;
    private readonly uint _code;
    private readonly uint _vendor;
    private readonly uint _outerCode;
    private readonly uint _outerVendor;

    private FailedAvp(Kind kind, ReadOnlySpan<byte> raw, uint code, uint vendor, uint outerCode, uint outerVendor)
    {
        _kind = kind;
        _raw = raw;
        _code = code;
        _vendor = vendor;
        _outerCode = outerCode;
        _outerVendor = outerVendor;
    }

    public bool IsNone => _kind == Kind.None;

    /// <summary>The largest number of bytes <see cref="Write"/> can take.</summary>
    public int MaxSize => _raw.Length + 64;

    public static FailedAvp None => default;

    /// <summary>Quotes an AVP as received.</summary>
    public static FailedAvp Quote(ReadOnlySpan<byte> raw, uint outerCode = 0, uint outerVendor = 0)
        => new(Kind.Raw, raw, 0, 0, outerCode, outerVendor);

    /// <summary>An example of a missing AVP: its code and vendor with an empty value.</summary>
    public static FailedAvp Missing(uint code, uint vendor, uint outerCode = 0, uint outerVendor = 0)
        => new(Kind.Missing, default, code, vendor, outerCode, outerVendor);

    /// <summary>
    /// The (possibly truncated) header of an AVP whose length was wrong, zero-filled to a whole header, with its
    /// length set to the header alone so the peer's parser can read it (RFC 6733 §7.1.5, DIAMETER_INVALID_AVP_LENGTH).
    /// </summary>
    public static FailedAvp BadLength(ReadOnlySpan<byte> partialHeader, uint outerCode = 0, uint outerVendor = 0)
        => new(Kind.BadLengthHeader, partialHeader, 0, 0, outerCode, outerVendor);

    public void Write(ref DiameterWriter writer)
    {
        if (_kind == Kind.None)
        {
            return;
        }

        var failed = writer.BeginGrouped(AvpCode.FailedAvp, AvpFlags.Mandatory, 0);
        var outer = _outerCode != 0 ? writer.BeginGrouped(_outerCode, AvpFlags.Mandatory, _outerVendor) : -1;
        switch (_kind)
        {
            case Kind.Raw:
                writer.WriteRaw(_raw);
                break;
            case Kind.Missing:
                writer.WriteBytes(_code, AvpFlags.Mandatory, _vendor, default);
                break;
            default:
                Span<byte> header = stackalloc byte[AvpReader.VendorHeaderSize];
                header.Clear();
                _raw[..Math.Min(_raw.Length, header.Length)].CopyTo(header);
                var vendor = (header[4] & (byte)AvpFlags.Vendor) != 0;
                var size = vendor ? AvpReader.VendorHeaderSize : AvpReader.HeaderSize;
                header[5] = 0;
                header[6] = 0;
                header[7] = (byte)size;
                writer.WriteRaw(header[..size]);
                break;
        }

        if (outer >= 0)
        {
            writer.EndGrouped(outer);
        }

        writer.EndGrouped(failed);
    }

    /// <summary>The code of the AVP named (for logs and tests).</summary>
    public uint Code => _kind switch
    {
        Kind.Missing => _code,
        Kind.Raw or Kind.BadLengthHeader when _raw.Length >= 4 => BinaryPrimitives.ReadUInt32BigEndian(_raw),
        _ => 0,
    };
}
