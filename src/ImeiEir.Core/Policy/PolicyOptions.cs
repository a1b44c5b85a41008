namespace ImeiEir.Core.Policy;

/// <summary>What to answer for an IMEI that is neither registered nor bound.</summary>
public enum UnknownEquipmentMode
{
    /// <summary>Default: BLACKLISTED. Real cores let "unknown" equipment through, which would void the regime.</summary>
    Blacklisted,
    /// <summary>The spec's answer: N5g-eir 404 ERROR_EQUIPMENT_UNKNOWN, S13 5422.</summary>
    Unknown,
}

/// <summary>The regime's parameters (configuration section <c>Policy</c>).</summary>
public sealed class PolicyOptions
{
    /// <summary>Home Mobile Country Code. Default 437 (Kyrgyzstan). An IMSI with another MCC is roaming.</summary>
    public int HomeMcc { get; set; } = 437;

    /// <summary>Home country calling code. Default 996. Decides roaming when the request has no IMSI.</summary>
    public int HomeCountryCode { get; set; } = 996;

    /// <summary>How long a bound IMEI works with a new number before NUMBER SWITCH is required. Default 3 days (72 h).</summary>
    public TimeSpan NumberSwitchGrace { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long grace marks are kept after the first check (SwitchNumber without IMEI needs them). Default 30 days.</summary>
    public TimeSpan GraceMarkRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The amnesty window (automatic whitelisting). Both ends empty: off.</summary>
    public AutoWhitelistOptions AutoWhitelist { get; set; } = new();

    /// <summary>Answer for unregistered, unbound IMEIs on the 3GPP interfaces. Default <see cref="UnknownEquipmentMode.Blacklisted"/>.</summary>
    public UnknownEquipmentMode UnknownEquipment { get; set; } = UnknownEquipmentMode.Blacklisted;

    /// <summary>Throws with the setting's name when a value is out of range.</summary>
    public void Validate()
    {
        if (HomeMcc is < 1 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(HomeMcc), HomeMcc, "Policy:HomeMcc must be a 3-digit MCC (1-999).");
        }

        if (HomeCountryCode is < 1 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(HomeCountryCode), HomeCountryCode, "Policy:HomeCountryCode must be 1 to 3 digits.");
        }

        if (NumberSwitchGrace <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(NumberSwitchGrace), NumberSwitchGrace, "Policy:NumberSwitchGrace must be positive.");
        }

        if (GraceMarkRetention < NumberSwitchGrace)
        {
            throw new ArgumentOutOfRangeException(nameof(GraceMarkRetention), GraceMarkRetention, "Policy:GraceMarkRetention must be at least the grace.");
        }

        if (AutoWhitelist.Start.HasValue != AutoWhitelist.End.HasValue)
        {
            throw new ArgumentException("Policy:AutoWhitelist:Start and End must be set together (or both empty: off).");
        }

        if (AutoWhitelist.Start >= AutoWhitelist.End)
        {
            throw new ArgumentException("Policy:AutoWhitelist:Start must be before End.");
        }
    }
}

/// <summary>The amnesty window: checks in [Start, End) bind an unknown IMEI to the subscriber and allow it.</summary>
public sealed class AutoWhitelistOptions
{
    /// <summary>Start of the window (inclusive). Empty: off.</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>End of the window (exclusive). Empty: off.</summary>
    public DateTimeOffset? End { get; set; }

    public bool IsOpen(DateTimeOffset now) => Start is { } s && End is { } e && now >= s && now < e;
}
