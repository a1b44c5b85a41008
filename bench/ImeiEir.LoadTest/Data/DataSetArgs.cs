using ImeiEir.DataGen;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Data;

/// <summary>The data-set options every command that needs the national data set reads (same flags, same data).</summary>
internal static class DataSetArgs
{
    public const string Help = """
          --devices N            registered devices (default 200000; 15 % carry two IMEIs)
          --seed S               data-set seed (default 20240601)
          --amnesty F            amnesty devices per registered device (default 0.03)
          --subscriber-ratio F   home subscribers (IMSI->MSISDN) per device (default 1.0)
          --stolen F             share of devices reported stolen (default 0.005)
        """;

    public static DataSetOptions Read(Args a)
    {
        var o = new DataSetOptions
        {
            Devices = a.Long("devices", 200_000),
            Seed = (ulong)a.Long("seed", 20_240_601),
        };
        o = o with
        {
            AmnestyFraction = a.Double("amnesty", o.AmnestyFraction),
            SubscriberRatio = a.Double("subscriber-ratio", o.SubscriberRatio),
            StolenFraction = a.Double("stolen", o.StolenFraction),
        };
        return o;
    }
}
