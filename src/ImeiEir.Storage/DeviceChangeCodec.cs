using System.Buffers.Binary;
using System.Text;
using ImeiEir.Core.Registry;

namespace ImeiEir.Storage;

/// <summary>A log entry's device changes (field <c>d</c>): the devices a batch removed, then those it registered.</summary>
public sealed record DeviceChanges(IReadOnlyList<string> Removed, IReadOnlyList<DeviceRecord> Added)
{
    public static readonly DeviceChanges None = new([], []);

    public bool IsEmpty => Removed.Count == 0 && Added.Count == 0;
}

/// <summary>
/// The log's form of a batch's device changes, what every node's <see cref="DeviceDirectory"/> is derived from: per
/// removed device <c>0</c>, the id's UTF-8 length (2 bytes) and bytes; per registered device <c>1</c>, the same, the
/// IMEI count (1 byte) and each IMEI key (8 bytes); little-endian, removals first (the order they are applied in).
/// </summary>
public static class DeviceChangeCodec
{
    /// <summary>The plan's changes (<see cref="BatchPlan.DevicesRemoved"/>, <see cref="BatchPlan.DevicesAdded"/>); empty when it has none.</summary>
    public static byte[] Encode(BatchPlan plan)
    {
        var bytes = new byte[SizeOf(plan)];
        Encode(plan, bytes);
        return bytes;
    }

    /// <summary>Bytes <see cref="Encode(BatchPlan, byte[])"/> writes.</summary>
    public static int SizeOf(BatchPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var size = 0;
        foreach (var d in plan.DevicesRemoved)
        {
            size += 3 + Encoding.UTF8.GetByteCount(d.DeviceId);
        }

        foreach (var d in plan.DevicesAdded)
        {
            size += 4 + Encoding.UTF8.GetByteCount(d.DeviceId) + (8 * d.Imeis.Length);
        }

        return size;
    }

    /// <summary>Encodes into <paramref name="bytes"/> (at least <see cref="SizeOf"/> bytes: a pooled buffer); returns the part written.</summary>
    public static ReadOnlyMemory<byte> Encode(BatchPlan plan, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(bytes);
        var at = 0;
        foreach (var d in plan.DevicesRemoved)
        {
            at = WriteId(bytes, at, 0, d.DeviceId);
        }

        foreach (var d in plan.DevicesAdded)
        {
            at = WriteId(bytes, at, 1, d.DeviceId);
            bytes[at++] = checked((byte)d.Imeis.Length);
            foreach (var imei in d.Imeis)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), imei);
                at += 8;
            }
        }

        return bytes.AsMemory(0, at);
    }

    public static DeviceChanges Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return DeviceChanges.None;
        }

        var removed = new List<string>();
        var added = new List<DeviceRecord>();
        var at = 0;
        try
        {
            while (at < bytes.Length)
            {
                var kind = bytes[at];
                var length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 1)..]);
                var id = Encoding.UTF8.GetString(bytes.Slice(at + 3, length));
                at += 3 + length;
                if (kind == 0)
                {
                    removed.Add(id);
                    continue;
                }

                if (kind != 1)
                {
                    throw new InvalidDataException($"A log entry holds an unknown device change kind {kind}.");
                }

                var imeis = new long[bytes[at++]];
                for (var i = 0; i < imeis.Length; i++)
                {
                    imeis[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(at, 8));
                    at += 8;
                }

                added.Add(new DeviceRecord(id, imeis));
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new InvalidDataException("A log entry's device changes end inside a record.");
        }

        return new DeviceChanges(removed, added);
    }

    private static int WriteId(byte[] bytes, int at, byte kind, string id)
    {
        bytes[at] = kind;
        var length = Encoding.UTF8.GetBytes(id, bytes.AsSpan(at + 3));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 1), checked((ushort)length));
        return at + 3 + length;
    }
}
