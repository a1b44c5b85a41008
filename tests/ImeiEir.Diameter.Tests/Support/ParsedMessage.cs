using System.Buffers.Binary;
using System.Text;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>An AVP decoded into a tree (test side: allocates freely).</summary>
internal sealed record ParsedAvp(uint Code, AvpFlags Flags, uint Vendor, byte[] Data, IReadOnlyList<ParsedAvp> Children)
{
    private static readonly HashSet<uint> GroupedCodes =
    [
        AvpCode.FailedAvp, AvpCode.ExperimentalResult, AvpCode.VendorSpecificApplicationId, AvpCode.TerminalInformation,
    ];

    public uint UInt32 => BinaryPrimitives.ReadUInt32BigEndian(Data);

    public string Text => Encoding.UTF8.GetString(Data);

    public ParsedAvp? Find(uint code, uint vendor = 0) => Children.FirstOrDefault(c => c.Code == code && c.Vendor == vendor);

    public static List<ParsedAvp> ParseAll(ReadOnlySpan<byte> source)
    {
        var list = new List<ParsedAvp>();
        var reader = new AvpReader(source);
        AvpReadStatus status;
        while ((status = reader.Read(out var avp)) == AvpReadStatus.Ok)
        {
            var children = GroupedCodes.Contains(avp.Code) ? ParseAll(avp.Data) : [];
            list.Add(new ParsedAvp(avp.Code, avp.Flags, avp.VendorId, avp.Data.ToArray(), children));
        }

        if (status != AvpReadStatus.End)
        {
            throw new InvalidDataException("The server sent an AVP with a bad length.");
        }

        return list;
    }
}

/// <summary>A whole message decoded (test side).</summary>
internal sealed class ParsedMessage
{
    public ParsedMessage(byte[] bytes)
    {
        Bytes = bytes;
        Header = DiameterHeader.Read(bytes);
        if (Header.Length != bytes.Length || (bytes.Length & 3) != 0)
        {
            throw new InvalidDataException($"Message length {Header.Length} but {bytes.Length} bytes.");
        }

        Avps = ParsedAvp.ParseAll(bytes.AsSpan(DiameterHeader.Size));
    }

    public byte[] Bytes { get; }

    public DiameterHeader Header { get; }

    public IReadOnlyList<ParsedAvp> Avps { get; }

    public ParsedAvp? Find(uint code, uint vendor = 0) => Avps.FirstOrDefault(a => a.Code == code && a.Vendor == vendor);

    public IEnumerable<ParsedAvp> FindAll(uint code, uint vendor = 0) => Avps.Where(a => a.Code == code && a.Vendor == vendor);

    public uint? ResultCode => Find(AvpCode.ResultCode)?.UInt32;

    public uint? ExperimentalResultCode => Find(AvpCode.ExperimentalResult)?.Find(AvpCode.ExperimentalResultCode)?.UInt32;

    public DiameterEquipmentStatus? EquipmentStatus
        => Find(AvpCode.EquipmentStatus, VendorId.ThreeGpp) is { } a ? (DiameterEquipmentStatus)a.UInt32 : null;

    public ParsedAvp? FailedAvp => Find(AvpCode.FailedAvp);

    public string? SessionId => Find(AvpCode.SessionId)?.Text;
}
