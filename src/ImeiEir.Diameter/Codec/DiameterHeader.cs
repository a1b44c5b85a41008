using System.Buffers.Binary;

namespace ImeiEir.Diameter.Codec;

/// <summary>
/// The fixed 20-byte Diameter header (RFC 6733 §3): version, 24-bit message length, command flags, 24-bit command
/// code, application id, hop-by-hop and end-to-end identifiers. All integers are big-endian.
/// </summary>
public readonly record struct DiameterHeader(
    byte Version,
    int Length,
    CommandFlags Flags,
    int CommandCode,
    uint ApplicationId,
    uint HopByHopId,
    uint EndToEndId)
{
    public const int Size = 20;
    public const byte SupportedVersion = 1;

    /// <summary>The four reserved low bits of the command flags.</summary>
    public const byte ReservedFlagBits = 0x0F;

    public bool IsRequest => (Flags & CommandFlags.Request) != 0;

    public bool IsProxiable => (Flags & CommandFlags.Proxiable) != 0;

    public bool IsError => (Flags & CommandFlags.Error) != 0;

    /// <summary>
    /// Reads a header from the first 20 bytes. Never fails on content (that is for the caller to judge): it only
    /// needs 20 bytes.
    /// </summary>
    public static DiameterHeader Read(ReadOnlySpan<byte> source)
    {
        // One bounds check for all of the fields below.
        source = source[..Size];
        var versionAndLength = BinaryPrimitives.ReadUInt32BigEndian(source);
        var flagsAndCode = BinaryPrimitives.ReadUInt32BigEndian(source[4..]);
        return new DiameterHeader(
            (byte)(versionAndLength >> 24),
            (int)(versionAndLength & 0xFFFFFF),
            (CommandFlags)(flagsAndCode >> 24),
            (int)(flagsAndCode & 0xFFFFFF),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[16..]));
    }

    /// <summary>Reads only the 24-bit message length from the first 4 bytes (framing).</summary>
    public static int ReadLength(ReadOnlySpan<byte> source) => (int)(BinaryPrimitives.ReadUInt32BigEndian(source) & 0xFFFFFF);

    /// <summary>Writes the header into the first 20 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        destination = destination[..Size];
        BinaryPrimitives.WriteUInt32BigEndian(destination, ((uint)Version << 24) | ((uint)Length & 0xFFFFFF));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ((uint)Flags << 24) | ((uint)CommandCode & 0xFFFFFF));
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ApplicationId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], HopByHopId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], EndToEndId);
    }
}
