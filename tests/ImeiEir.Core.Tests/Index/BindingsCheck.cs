using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>How the index's model tests compare one IMEI's bindings in a view with the records a model expects.</summary>
internal static class BindingsCheck
{
    /// <summary>
    /// The first difference, or null: the records themselves, then <c>HasMsisdn</c> for every MSISDN and <c>HasImsi</c>
    /// for every IMSI probed (0 never matches). <paramref name="at"/> starts the message (e.g. "seq 7").
    /// </summary>
    public static string? Differ(string at, long imei, BindingsView bindings, BindingRecord[] expected, long[] msisdns, long[] imsis)
    {
        if (!bindings.Records.SequenceEqual(expected))
        {
            return $"{at}: bindings of {imei} are [{string.Join(", ", bindings.Records.ToArray())}], model [{string.Join(", ", expected)}]";
        }

        foreach (var m in msisdns)
        {
            if (bindings.HasMsisdn(m) != (m != 0 && expected.Any(r => r.Msisdn == m)))
            {
                return $"{at}: bindings of {imei} HasMsisdn({m}) is {bindings.HasMsisdn(m)}";
            }
        }

        foreach (var i in imsis)
        {
            if (bindings.HasImsi(i) != (i != 0 && expected.Any(r => r.Imsi == i)))
            {
                return $"{at}: bindings of {imei} HasImsi({i}) is {bindings.HasImsi(i)}";
            }
        }

        return null;
    }
}
