using System.Globalization;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.LoadTest.Sync;

/// <summary>
/// The synthetic registry churn of <c>lt sync</c> (per ten deltas: five device registrations under reporting body 97,
/// three subscriber upserts of MNC 03, two bindings), by position: the same salt and position give the same delta.
/// Also compiled into bench/ImeiEir.Benchmarks (<c>--sync</c>), so the in-process stages see the churn the node sees.
/// </summary>
public static class SyncChurn
{
    /// <summary>Deltas <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> of the churn for <paramref name="salt"/>.</summary>
    public static IEnumerable<Delta> Deltas(long salt, long from, long count)
    {
        for (var k = from; k < from + count; k++)
        {
            var u = (salt * 1_000_000_000L) + k;
            switch (k % 10)
            {
                case < 5:
                    var register = new RegisterDevice { DeviceId = $"CH{salt}-{k}" };
                    register.Imeis.Add(new ImeiKey(97_000_000_000_000L + (u % 1_000_000_000_000L)).ToString15());
                    yield return new Delta { RegisterDevice = register };
                    break;
                case < 8:
                    yield return new Delta
                    {
                        UpsertSubscriber = new UpsertSubscriber
                        {
                            Imsi = "43703" + (u % 10_000_000_000L).ToString("D10", CultureInfo.InvariantCulture),
                            Msisdn = (996_300_000_000L + (u % 100_000_000L)).ToString(CultureInfo.InvariantCulture),
                        },
                    };
                    break;
                default:
                    yield return new Delta
                    {
                        Bind = new Bind
                        {
                            Imei = new ImeiKey(95_000_000_000_000L + (u % 1_000_000_000_000L)).ToString(),
                            Msisdn = (996_300_000_000L + ((u * 7) % 100_000_000L)).ToString(CultureInfo.InvariantCulture),
                        },
                    };
                    break;
            }
        }
    }
}
