using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// Where docs/redis-schema.md says a record lives, worked out here from the document (not from the code under test),
/// so the tests check the code against the schema.
/// </summary>
public static class Schema
{
    /// <summary><c>dev:&lt;bucket&gt;</c>: 65 536 buckets by XxHash3 of the device id (UTF-8).</summary>
    public static string DeviceKey(string deviceId)
        => "dev:" + (XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(deviceId)) % 65_536).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>own:&lt;imei &gt;&gt; 10&gt;</c>, field: the low 10 bits of the IMEI.</summary>
    public static (string Key, long Field) Owner(long imei) => ("own:" + (imei >> 10).ToString(CultureInfo.InvariantCulture), imei & 1023);

    /// <summary><c>grace:&lt;subscriber key&gt;</c>.</summary>
    public static string GraceKey(long subscriberKey) => "grace:" + subscriberKey.ToString(CultureInfo.InvariantCulture);

    /// <summary>A device record's value: its IMEIs, 8 bytes each, little-endian.</summary>
    public static long[] UnpackImeis(byte[] value)
    {
        Assert.Equal(0, value.Length % 8);
        var imeis = new long[value.Length / 8];
        for (var i = 0; i < imeis.Length; i++)
        {
            imeis[i] = BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(i * 8));
        }

        return imeis;
    }

    /// <summary>The key of a 14-digit IMEI: its TAC+SNR as a number.</summary>
    public static long Imei(string digits14)
    {
        Assert.Equal(14, digits14.Length);
        return long.Parse(digits14, CultureInfo.InvariantCulture);
    }
}
