using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Events;

/// <summary>
/// The check path's side of events: maps a decision to the event it may raise, drops the repeats this node raised
/// recently (<see cref="RecentEvents"/>), notes IMSIs per IMEI for clone detection (<see cref="ImsiSightings"/>),
/// and queues the rest for the publisher (<see cref="EventQueue"/>). The common answers (registered, bound,
/// roaming) cost one switch, and with a home IMSI two array reads. Nothing here blocks, calls out or allocates.
/// </summary>
public sealed class CheckEventObserver : ICheckObserver
{
    private const long ImsiTag = 1L << 62;
    private readonly EventWindows _windows;
    private readonly EventQueue _queue;
    private readonly RecentEvents _recent;
    private readonly ImsiSightings? _sightings;
    private readonly int _homeMcc;

    /// <param name="windows">Each kind's window.</param>
    /// <param name="queue">Where observations go.</param>
    /// <param name="recent">This node's recent events.</param>
    /// <param name="sightings">IMSIs per IMEI, or null: clone detection off.</param>
    /// <param name="homeMcc">Only home IMSIs count for clones.</param>
    public CheckEventObserver(EventWindows windows, EventQueue queue, RecentEvents recent, ImsiSightings? sightings, int homeMcc)
    {
        _windows = windows;
        _queue = queue;
        _recent = recent;
        _sightings = sightings;
        _homeMcc = homeMcc;
    }

    public void OnChecked(in CheckInput input, in Decision decision, CheckInterface? via, long nowTicks)
    {
        if (_sightings is not null && input.HasImsi && input.Imei != 0)
        {
            Sight(in input, via, nowTicks);
        }

        var kind = EventWindows.KindOf(decision.Reason);
        if (kind == EventKind.Unspecified)
        {
            return;
        }

        if (kind is EventKind.SwitchRequired or EventKind.AutoWhitelisted && !input.HasMsisdn && !input.HasImsi)
        {
            return; // nobody to tell, nothing bound
        }

        var subscriber = input.HasMsisdn ? input.Msisdn : input.HasImsi ? input.ImsiKey | ImsiTag : 0;
        Offer(new Observation(kind, input.Imei, input.Msisdn, input.ImsiKey, nowTicks, decision.GraceExpiresAtTicks, via), subscriber);
    }

    private void Sight(in CheckInput input, CheckInterface? via, long nowTicks)
    {
        if (new Imsi(input.ImsiKey).Mcc != _homeMcc)
        {
            return;
        }

        var other = _sightings!.Sight(input.Imei, input.ImsiKey, nowTicks);
        if (other != 0)
        {
            // Keyed by the new IMSI: each further IMSI of the IMEI goes out once per window from this node.
            Offer(new Observation(EventKind.CloneSuspected, input.Imei, 0, input.ImsiKey, nowTicks, 0, via, other), input.ImsiKey);
        }
    }

    private void Offer(in Observation observation, long subscriber)
    {
        var kind = observation.Kind;
        var now = observation.TimeTicks;
        // Clone candidates are remembered for the half day the sightings table keys by, whatever the event's window.
        var window = kind == EventKind.CloneSuspected ? TimeSpan.TicksPerHour * 12 : _windows.Ticks(kind);
        if (!_recent.TryClaim(kind, observation.Imei, subscriber, now, now + window))
        {
            return;
        }

        if (!_queue.TryWrite(in observation))
        {
            _recent.Forget(kind, observation.Imei, subscriber);
        }
    }
}
