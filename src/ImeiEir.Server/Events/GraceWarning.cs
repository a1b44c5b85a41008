using System.Globalization;
using ImeiEir.Core.Events;

namespace ImeiEir.Server.Events;

/// <summary>
/// A scheduled <c>grace_expiring</c>: the grace_started event's fields and subscriber key as one sorted-set member
/// (<c>imei|msisdn|imsi|op|if|ge|subscriber</c>), scored by when the warning is due.
/// </summary>
public static class GraceWarning
{
    public static string Member(EventRecord started, long subscriber) => string.Join(
        '|',
        started.Imei,
        started.Msisdn,
        started.Imsi,
        started.HomeOperator,
        started.Interface,
        started.GraceExpiresMs.ToString(CultureInfo.InvariantCulture),
        subscriber.ToString(CultureInfo.InvariantCulture));

    /// <summary>The grace_expiring event of a member, raised at <paramref name="nowMs"/> by <paramref name="node"/>; false when unreadable.</summary>
    public static bool TryRead(string member, long nowMs, string node, out EventRecord expiring, out long subscriber)
    {
        var p = member.Split('|');
        expiring = null!;
        subscriber = 0;
        if (p.Length != 7 ||
            !long.TryParse(p[5], NumberStyles.None, CultureInfo.InvariantCulture, out var ge) ||
            !long.TryParse(p[6], NumberStyles.None, CultureInfo.InvariantCulture, out subscriber))
        {
            return false;
        }

        expiring = new EventRecord(EventKind.GraceExpiring, nowMs, p[0], p[1], p[2], p[3], p[4], ge, node);
        return true;
    }
}
