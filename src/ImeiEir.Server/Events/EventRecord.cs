using System.Globalization;
using ImeiEir.Core.Events;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// One event as stored in the streams: flat string fields (<c>k</c> kind number, <c>t</c> time in Unix ms,
/// <c>imei</c>, <c>msisdn</c>, <c>imsi</c>, <c>op</c> home operator, <c>if</c> interface, <c>ge</c> grace expiry in
/// Unix ms or empty, <c>node</c>), so any Redis client can read them.
/// </summary>
public sealed record EventRecord(
    EventKind Kind,
    long TimeMs,
    string Imei,
    string Msisdn,
    string Imsi,
    string HomeOperator,
    string Interface,
    long GraceExpiresMs,
    string Node)
{
    /// <summary>Fields of a stream entry: <c>k t imei msisdn imsi op if ge node</c>, in this order.</summary>
    public const int FieldCount = 9;

    /// <summary>The values of the stream entry's fields, in the order of <see cref="FieldCount"/>'s list (numbers stay numbers: the client formats them as it writes).</summary>
    public void WriteValues(Span<RedisValue> values)
    {
        values[0] = (int)Kind;
        values[1] = TimeMs;
        values[2] = Imei;
        values[3] = Msisdn;
        values[4] = Imsi;
        values[5] = HomeOperator;
        values[6] = Interface;
        values[7] = GraceExpiresMs == 0 ? RedisValue.EmptyString : GraceExpiresMs;
        values[8] = Node;
    }

    /// <summary>Reads a stream entry; null when it has no kind (an entry trimmed away while pending has no fields).</summary>
    public static EventRecord? FromEntry(StreamEntry entry)
    {
        if (entry.IsNull || entry.Values is null || entry.Values.Length == 0)
        {
            return null;
        }

        string Get(string name)
        {
            foreach (var v in entry.Values)
            {
                if (v.Name == name)
                {
                    return v.Value.ToString();
                }
            }

            return "";
        }

        if (!int.TryParse(Get("k"), NumberStyles.None, CultureInfo.InvariantCulture, out var kind))
        {
            return null;
        }

        _ = long.TryParse(Get("t"), NumberStyles.None, CultureInfo.InvariantCulture, out var t);
        _ = long.TryParse(Get("ge"), NumberStyles.None, CultureInfo.InvariantCulture, out var ge);
        return new EventRecord((EventKind)kind, t, Get("imei"), Get("msisdn"), Get("imsi"), Get("op"), Get("if"), ge, Get("node"));
    }
}
