using System.Globalization;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Fuzz;

/// <summary>
/// A tiny loaded index with one IMEI per verdict rule (registered, stolen, bound to a subscriber), the same cases
/// the Diameter tests use, so fuzzed requests that carry them reach every branch of the verdict order.
/// </summary>
internal static class Fixture
{
    public const string Registered = "35123456000001";
    public const string Stolen = "35123456000002";
    public const string Bound = "35123456000003";
    public const long BoundMsisdn = 996700000001;
    public const string BoundImsi = "437011234567890";

    /// <summary>Fixed time: the same input always meets the same grace windows.</summary>
    public static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public static EquipmentChecker Checker(UnknownEquipmentMode unknownEquipment, bool loaded = true)
    {
        var index = new EirIndex();
        if (loaded)
        {
            ImsiParser.TryParse(BoundImsi, out var imsi);
            index.Load(EirSnapshot.Empty, 0);
            index.Apply(1,
            [
                Mutation.Register(Key(Registered)),
                Mutation.Register(Key(Stolen)),
                Mutation.Stolen(Key(Stolen)),
                Mutation.Bind(Key(Bound), BoundMsisdn, imsi.Key),
            ], Time.GetUtcNow());
        }

        return new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions { UnknownEquipment = unknownEquipment }, Time);
    }

    private static long Key(string imei) => long.Parse(imei, CultureInfo.InvariantCulture);
}
