namespace ImeiEir.Core.Events;

/// <summary>
/// How often each kind may be raised per IMEI and subscriber (<c>Events:*</c> settings resolved), and the
/// reason each decision maps to. One object shared by the check path's dedupe and the cluster-wide one.
/// </summary>
public sealed class EventWindows
{
    private readonly long[] _ticks = new long[8];

    /// <param name="once">Kinds raised once per pair (grace started and expiring, switch required, amnesty): a pair
    /// raised again after this long is raised anew. The events' retention: nobody could see the older one.</param>
    /// <param name="notRegisteredEvery">Events:NotRegisteredEvery.</param>
    /// <param name="stolenSeenEvery">Events:StolenSeenEvery.</param>
    /// <param name="cloneEvery">How often one IMEI is reported as a suspected clone (a day).</param>
    public EventWindows(TimeSpan once, TimeSpan notRegisteredEvery, TimeSpan stolenSeenEvery, TimeSpan cloneEvery)
    {
        _ticks[(int)EventKind.GraceStarted] = once.Ticks;
        _ticks[(int)EventKind.GraceExpiring] = once.Ticks;
        _ticks[(int)EventKind.SwitchRequired] = once.Ticks;
        _ticks[(int)EventKind.AutoWhitelisted] = once.Ticks;
        _ticks[(int)EventKind.NotRegistered] = notRegisteredEvery.Ticks;
        _ticks[(int)EventKind.StolenSeen] = stolenSeenEvery.Ticks;
        _ticks[(int)EventKind.CloneSuspected] = cloneEvery.Ticks;
    }

    /// <summary>The window of <paramref name="kind"/> in ticks (0 for <see cref="EventKind.Unspecified"/>).</summary>
    public long Ticks(EventKind kind) => _ticks[(int)kind & 7];

    /// <summary>The event a decision raises, or <see cref="EventKind.Unspecified"/> for the common answers.</summary>
    public static EventKind KindOf(Policy.Reason reason) => reason switch
    {
        Policy.Reason.NumberSwitchGrace => EventKind.GraceStarted,
        Policy.Reason.NumberSwitchRequired => EventKind.SwitchRequired,
        Policy.Reason.NotRegistered => EventKind.NotRegistered,
        Policy.Reason.Stolen => EventKind.StolenSeen,
        Policy.Reason.AutoWhitelisted => EventKind.AutoWhitelisted,
        _ => EventKind.Unspecified,
    };
}
