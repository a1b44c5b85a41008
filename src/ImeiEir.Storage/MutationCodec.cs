using System.Buffers.Binary;
using ImeiEir.Core.Index;

namespace ImeiEir.Storage;

/// <summary>The log's form of a batch's mutations: 25 bytes each (kind, IMEI, MSISDN, IMSI key), little-endian.</summary>
public static class MutationCodec
{
    public const int Size = 25;

    /// <summary>Encodes into <paramref name="buffer"/> (at least <c>Count * Size</c> bytes); returns the part written.</summary>
    public static ReadOnlyMemory<byte> Encode(IReadOnlyList<Mutation> mutations, byte[] buffer)
    {
        var length = mutations.Count * Size;
        var span = buffer.AsSpan(0, length);
        for (var i = 0; i < mutations.Count; i++)
        {
            var m = mutations[i];
            var s = span.Slice(i * Size, Size);
            s[0] = (byte)m.Kind;
            BinaryPrimitives.WriteInt64LittleEndian(s[1..], m.Imei);
            BinaryPrimitives.WriteInt64LittleEndian(s[9..], m.Msisdn);
            BinaryPrimitives.WriteInt64LittleEndian(s[17..], m.Imsi);
        }

        return buffer.AsMemory(0, length);
    }

    public static Mutation[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Size != 0)
        {
            throw new InvalidDataException($"A log entry of {bytes.Length} bytes is not a whole number of mutations.");
        }

        var result = new Mutation[bytes.Length / Size];
        for (var i = 0; i < result.Length; i++)
        {
            var s = bytes.Slice(i * Size, Size);
            var kind = (MutationKind)s[0];
            if (kind is < MutationKind.AddRegistered or > MutationKind.RemoveSubscriber)
            {
                throw new InvalidDataException($"A log entry holds an unknown mutation kind {s[0]}.");
            }

            result[i] = new Mutation(kind, BinaryPrimitives.ReadInt64LittleEndian(s[1..]), BinaryPrimitives.ReadInt64LittleEndian(s[9..]), BinaryPrimitives.ReadInt64LittleEndian(s[17..]));
        }

        return result;
    }
}
