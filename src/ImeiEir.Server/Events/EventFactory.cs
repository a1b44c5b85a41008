using System.Globalization;
using ImeiEir.Core.Events;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;

namespace ImeiEir.Server.Events;

/// <summary>
/// Turns an observation into the event stored: identifiers as text, the MSISDN resolved through the subscriber map
/// when only the IMSI came, the home operator, the node. Also the subscriber key the exactly-once decision is
/// taken on: the MSISDN (sent or resolved), else the IMSI (tagged), else 0.
/// </summary>
public sealed class EventFactory(HomeOperators operators, string node)
{
    private const long ImsiTag = 1L << 62;

    public string Node => node;

    public (EventRecord Event, long Subscriber) Create(in Observation o, EirView view)
    {
        var msisdn = o.Msisdn;
        if (msisdn == 0 && o.ImsiKey != 0)
        {
            view.TryGetMsisdn(o.ImsiKey, out msisdn);
        }

        var subscriber = msisdn != 0 ? msisdn : o.ImsiKey != 0 ? o.ImsiKey | ImsiTag : 0;
        var e = new EventRecord(
            o.Kind,
            ToUnixMs(o.TimeTicks),
            new ImeiKey(o.Imei).ToString(),
            msisdn == 0 ? "" : msisdn.ToString(CultureInfo.InvariantCulture),
            o.ImsiKey == 0 ? "" : new Imsi(o.ImsiKey).ToString(),
            operators.Of(o.ImsiKey),
            o.Via.Name(),
            o.GraceExpiresTicks == 0 ? 0 : ToUnixMs(o.GraceExpiresTicks),
            node);
        return (e, subscriber);
    }

    public static long ToUnixMs(long utcTicks) => (utcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
}
