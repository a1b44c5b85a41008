using ImeiEir.Core.Overload;

namespace ImeiEir.Core.Events;

/// <summary>
/// What the check path hands to the publisher: a plain struct (no reference), so queuing one allocates nothing.
/// For <see cref="EventKind.CloneSuspected"/> it is a candidate, not yet an event: the IMEI was seen with
/// <see cref="ImsiKey"/> after <see cref="OtherImsiKey"/>, and the publisher counts it cluster-wide.
/// </summary>
/// <param name="Kind">The event it may raise.</param>
/// <param name="Imei">IMEI key (14-digit TAC+SNR).</param>
/// <param name="Msisdn">MSISDN as sent; 0 absent (the publisher resolves the IMSI through the subscriber map).</param>
/// <param name="ImsiKey">IMSI key as sent; 0 absent.</param>
/// <param name="TimeTicks">UTC ticks the check was answered.</param>
/// <param name="GraceExpiresTicks">UTC ticks the grace runs out (grace kinds), else 0.</param>
/// <param name="Via">The interface that asked.</param>
/// <param name="OtherImsiKey">Clone candidates only: the IMSI seen before with this IMEI.</param>
public readonly record struct Observation(
    EventKind Kind,
    long Imei,
    long Msisdn,
    long ImsiKey,
    long TimeTicks,
    long GraceExpiresTicks,
    CheckInterface? Via,
    long OtherImsiKey = 0);
