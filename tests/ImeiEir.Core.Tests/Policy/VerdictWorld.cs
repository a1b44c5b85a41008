using System.Globalization;
using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Policy;

/// <summary>
/// A small country, built from mutations in several batches the way the registry feed would deliver them:
/// registered devices (one with two IMEIs), stolen reports, amnesty bindings (the null IMEI bound to many
/// numbers, a clone bound to thousands), and the operators' IMSI→MSISDN map. Read-only once built, so one
/// instance serves every row; <see cref="Overlay"/> keeps every change in the overlays, <see cref="Compacted"/>
/// holds the same data folded into a snapshot, and the rules must answer the same from both.
/// </summary>
public sealed class VerdictWorld
{
    public const long DualA = 35_290_611_000_001;            // one registered device with two IMEIs
    public const long DualB = 35_290_611_000_002;
    public const long StolenRegistered = 35_290_611_000_003; // registered, then reported stolen
    public const long StolenBound = 35_290_611_000_004;      // bound to Number1, then reported stolen
    public const long Cleared = 35_290_611_000_005;          // registered, reported stolen, report cleared
    public const long Unregistered = 35_290_611_000_006;     // registered, then the device was removed
    public const long RegisteredAndBound = 35_290_611_000_007;
    public const long Bound = 86_000_001_000_001;            // amnesty: Number1 + Imsi1, and an IMSI-only record
    public const long Unbound = 86_000_001_000_002;          // bound once, binding removed since
    public const long NullImei = 0;                          // amnesty bound the null IMEI to NullBindings numbers
    public const long Clone = 86_000_002_000_002;            // one cloned IMEI bound to CloneBindings numbers
    public const long Unknown = 35_999_999_000_001;          // never seen

    public const int NullBindings = 50;
    public const int CloneBindings = 3000;

    public const string Number1 = "996700100001";
    public const string Imsi1 = "437010000100001";
    public const string ImsiOnlyRecord = "437050000200002";  // amnesty saw this IMSI without a number
    public const string SwapImsi = "437010000100009";        // a new SIM of Number1 (subscriber map)
    public const string RemovedImsi = "437015555555555";     // mapped to Number1, then removed from the map
    public const string NewNumber = "996700200002";          // home, bound to nothing
    public const string NewImsi = "437090000300003";         // home, not in the subscriber map
    public const string MappedImsi = "437011234567890";      // home, mapped to MappedNumber (bound to nothing)
    public const string MappedNumber = "996700999999";
    public const string CloneMappedImsi = "437099999999999"; // mapped to the last clone number
    public const string ForeignImsi = "250011234567890";     // Russia
    public const string TestMccImsi = "001010123456789";     // test network MCC 001
    public const string ForeignNumber = "79161234567";

    public VerdictWorld()
    {
        Overlay = Build();
        Compacted = Build();
        Compacted.Compact();
    }

    public EirIndex Overlay { get; }

    public EirIndex Compacted { get; }

    public static string NullNumber(int i) => (996_555_000_000 + i).ToString(CultureInfo.InvariantCulture);

    public static string NullImsi(int i) => "43709" + i.ToString("D10", CultureInfo.InvariantCulture);

    public static string CloneNumber(int i) => (996_777_000_000 + i).ToString(CultureInfo.InvariantCulture);

    public static string CloneImsi(int i) => "43705" + (i * 7).ToString("D10", CultureInfo.InvariantCulture);

    private static EirIndex Build()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        var at = PolicyHarness.Start.AddDays(-30);
        var number1 = Ids.Msisdn(Number1);

        index.Apply(1,
        [
            Mutation.Register(DualA), Mutation.Register(DualB), Mutation.Register(StolenRegistered), Mutation.Register(Cleared),
            Mutation.Register(Unregistered), Mutation.Register(RegisteredAndBound),
        ], at);

        var amnesty = new List<Mutation>
        {
            Mutation.Bind(Bound, number1, Ids.Imsi(Imsi1)),
            Mutation.Bind(Bound, 0, Ids.Imsi(ImsiOnlyRecord)),
            Mutation.Bind(StolenBound, number1),
            Mutation.Bind(RegisteredAndBound, number1),
            Mutation.Bind(Unbound, number1),
        };
        for (var i = 0; i < NullBindings; i++)
        {
            amnesty.Add(Mutation.Bind(NullImei, Ids.Msisdn(NullNumber(i)), Ids.Imsi(NullImsi(i))));
        }

        for (var i = 0; i < CloneBindings; i++)
        {
            amnesty.Add(Mutation.Bind(Clone, Ids.Msisdn(CloneNumber(i)), Ids.Imsi(CloneImsi(i))));
        }

        index.Apply(2, [.. amnesty], at);
        index.Apply(3, [Mutation.Stolen(StolenRegistered), Mutation.Stolen(StolenBound), Mutation.Stolen(Cleared)], at);
        index.Apply(4,
        [
            Mutation.ClearStolen(Cleared), Mutation.Unregister(Unregistered), Mutation.Unbind(Unbound, number1),
            Mutation.Subscriber(Ids.Imsi(SwapImsi), number1),
            Mutation.Subscriber(Ids.Imsi(RemovedImsi), number1),
            Mutation.Subscriber(Ids.Imsi(MappedImsi), Ids.Msisdn(MappedNumber)),
            Mutation.Subscriber(Ids.Imsi(CloneMappedImsi), Ids.Msisdn(CloneNumber(CloneBindings - 1))),
        ], at);
        index.Apply(5, [Mutation.RemoveSubscriber(Ids.Imsi(RemovedImsi))], at);
        return index;
    }
}
