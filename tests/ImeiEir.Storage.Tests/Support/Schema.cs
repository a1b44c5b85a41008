using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// Where docs/redis-schema.md says a record lives, worked out here from the document (not from the code under test),
/// so the tests check the code against the schema.
/// </summary>
public static class Schema
{
    /// <summary><c>grace:&lt;subscriber key&gt;</c>.</summary>
    public static string GraceKey(long subscriberKey) => "grace:" + subscriberKey.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A log entry's field <c>d</c>: per removed device 0, the id's UTF-8 length (2 bytes) and bytes; per registered
    /// device 1, the same, the IMEI count (1 byte) and each IMEI key (8 bytes); little-endian, removals first.
    /// </summary>
    public static (List<string> Removed, List<(string Id, long[] Imeis)> Added) DeviceChanges(byte[] value)
    {
        var removed = new List<string>();
        var added = new List<(string, long[])>();
        for (var at = 0; at < value.Length;)
        {
            var kind = value[at];
            var length = BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(at + 1));
            var id = Encoding.UTF8.GetString(value, at + 3, length);
            at += 3 + length;
            if (kind == 0)
            {
                removed.Add(id);
                continue;
            }

            Assert.Equal(1, kind);
            var imeis = new long[value[at++]];
            for (var i = 0; i < imeis.Length; i++, at += 8)
            {
                imeis[i] = BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(at));
            }

            added.Add((id, imeis));
        }

        return (removed, added);
    }

    /// <summary>The key of a 14-digit IMEI: its TAC+SNR as a number.</summary>
    public static long Imei(string digits14)
    {
        Assert.Equal(14, digits14.Length);
        return long.Parse(digits14, CultureInfo.InvariantCulture);
    }
}
