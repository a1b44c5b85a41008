using System.Globalization;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.DataGen;

namespace ImeiEir.LoadTest.Data;

/// <summary>
/// The registry deltas of a <see cref="NationalDataSet"/>, in an order that a registry would send them: the
/// operators' IMSI→MSISDN map, the registered devices, the stolen reports, then the amnesty and clone bindings.
/// Deterministic: the same options give the same deltas (so batch ids derived from positions are stable and a
/// re-run is acked as duplicates).
/// </summary>
internal static class NationalDeltas
{
    public static long Count(DataSetSummary s) => s.Subscribers + s.Devices + s.StolenImeis + s.Bindings;

    public static IEnumerable<Delta> All(NationalDataSet data)
    {
        foreach (var s in data.Subscribers.All())
        {
            yield return new Delta
            {
                UpsertSubscriber = new UpsertSubscriber { Imsi = new Imsi(s.ImsiKey).ToString(), Msisdn = s.Msisdn.ToString(CultureInfo.InvariantCulture) },
            };
        }

        foreach (var d in data.Devices())
        {
            var register = new RegisterDevice { DeviceId = DeviceId(d.Id) };
            // The registry carries the 15-digit form with a valid check digit.
            register.Imeis.Add(new ImeiKey(d.Imei1).ToString15());
            if (d.IsDual)
            {
                register.Imeis.Add(new ImeiKey(d.Imei2).ToString15());
            }

            yield return new Delta { RegisterDevice = register };
        }

        foreach (var s in data.Stolen())
        {
            yield return new Delta { ReportStolen = new ReportStolen { Imei = new ImeiKey(s.Imei).ToString(), CaseReference = s.CaseReference } };
        }

        foreach (var b in data.Bindings())
        {
            yield return new Delta
            {
                Bind = new Bind
                {
                    Imei = new ImeiKey(b.Imei).ToString(),
                    Msisdn = b.Msisdn.ToString(CultureInfo.InvariantCulture),
                    Imsi = b.ImsiKey == 0 ? "" : new Imsi(b.ImsiKey).ToString(),
                },
            };
        }
    }

    public static string DeviceId(long id) => "KG" + id.ToString("D10", CultureInfo.InvariantCulture);
}
