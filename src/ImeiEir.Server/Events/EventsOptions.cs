using ImeiEir.Core.Events;

namespace ImeiEir.Server.Events;

/// <summary>Subscriber notification events (configuration section <c>Events</c>; docs/events.md).</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Events";

    /// <summary>Raise events. Default true. False: the check path does nothing for events and EventFeed serves what is retained.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The name events carry as <c>node</c>. Default empty: the host name.</summary>
    public string NodeName { get; set; } = "";

    /// <summary>How long before the grace runs out <c>grace_expiring</c> is raised. Default 24 h; not less than <c>Policy:NumberSwitchGrace</c>: at the grace's start.</summary>
    public TimeSpan GraceWarningBefore { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>not_registered</c> at most once per IMEI and subscriber per this. Default 7 days.</summary>
    public TimeSpan NotRegisteredEvery { get; set; } = TimeSpan.FromDays(7);

    /// <summary><c>stolen_seen</c> at most once per IMEI and subscriber per this. Default 1 h.</summary>
    public TimeSpan StolenSeenEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long events are kept in the streams (entries older are trimmed as new ones are added), and the window of
    /// the kinds raised once per pair. Default 30 days: a consumer away longer has lost the older events.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>clone_suspected</c> when an IMEI is seen with more distinct home IMSIs than this over a day. Default 5 (DIRBS' duplicate threshold); 0: clone detection off.</summary>
    public int CloneThreshold { get; set; } = 5;

    /// <summary>Slots of the node's IMSI-per-IMEI table (16 bytes each). Default 1 048 576 (16 MiB); more active IMEIs a half day than slots forget some.</summary>
    public int CloneTableSlots { get; set; } = 1 << 20;

    /// <summary>Slots of the node's table of recently raised events (16 bytes each). Default 262 144 (4 MiB).</summary>
    public int RecentEventSlots { get; set; } = 1 << 18;

    /// <summary>Observations waiting for the publisher at most; more are dropped and counted (<c>imeieir.events.dropped</c>). Default 65 536.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>How often due <c>grace_expiring</c> warnings are looked for (one node at a time). Default 10 s.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a subscriber with nothing new reads again when no notification came. Default 1 s.</summary>
    public TimeSpan SubscribePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>MCCs whose MNCs have 3 digits (home operator "MCC-MNC"). Default: the E.212 list in <see cref="HomeOperators"/>; 437 has 2.</summary>
    public List<int> ThreeDigitMncCountries { get; set; } = [];

    /// <summary>The node name in effect.</summary>
    public string EffectiveNodeName => string.IsNullOrEmpty(NodeName) ? Environment.MachineName : NodeName;

    /// <summary>The 3-digit-MNC countries in effect.</summary>
    public IReadOnlyList<int> EffectiveThreeDigitMncCountries => ThreeDigitMncCountries.Count > 0 ? ThreeDigitMncCountries : HomeOperators.DefaultThreeDigitMncCountries;

    /// <summary>Throws naming the setting when a value is out of range.</summary>
    public void Validate()
    {
        Positive(GraceWarningBefore, "GraceWarningBefore");
        Positive(NotRegisteredEvery, "NotRegisteredEvery");
        Positive(StolenSeenEvery, "StolenSeenEvery");
        Positive(SweepInterval, "SweepInterval");
        Positive(SubscribePollInterval, "SubscribePollInterval");
        if (Retention < TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Retention), Retention, "Events:Retention must be at least 1 day.");
        }

        if (CloneThreshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CloneThreshold), CloneThreshold, "Events:CloneThreshold must be 0 (off) or more.");
        }

        if (CloneTableSlots is < 64 or > 1 << 28)
        {
            throw new ArgumentOutOfRangeException(nameof(CloneTableSlots), CloneTableSlots, "Events:CloneTableSlots must be 64 to 268435456.");
        }

        if (RecentEventSlots is < 64 or > 1 << 28)
        {
            throw new ArgumentOutOfRangeException(nameof(RecentEventSlots), RecentEventSlots, "Events:RecentEventSlots must be 64 to 268435456.");
        }

        if (QueueCapacity is < 16 or > 1 << 24)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "Events:QueueCapacity must be 16 to 16777216.");
        }

        foreach (var mcc in ThreeDigitMncCountries)
        {
            if (mcc is < 1 or > 999)
            {
                throw new ArgumentOutOfRangeException(nameof(ThreeDigitMncCountries), mcc, "Events:ThreeDigitMncCountries must hold 3-digit MCCs (1-999).");
            }
        }

        if (NodeName.Length > 64)
        {
            throw new ArgumentException("Events:NodeName must be at most 64 characters.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Events:{name} must be positive.");
        }
    }
}
