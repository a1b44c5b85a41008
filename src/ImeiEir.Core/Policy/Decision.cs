namespace ImeiEir.Core.Policy;

/// <summary>Allow or deny (numbers match the proto enum).</summary>
public enum Verdict : byte
{
    Unspecified = 0,
    Allow = 1,
    Deny = 2,
}

/// <summary>The 3GPP equipment status (numbers match the proto enum, not the Diameter AVP).</summary>
public enum EquipmentStatus : byte
{
    Unspecified = 0,
    Whitelisted = 1,
    Blacklisted = 2,
    Greylisted = 3,
}

/// <summary>The rule of the verdict order that decided (numbers match the proto enum).</summary>
public enum Reason : byte
{
    Unspecified = 0,
    Registered = 1,
    BoundSubscriber = 2,
    NumberSwitchGrace = 3,
    RoamingExempt = 4,
    AutoWhitelisted = 5,
    Stolen = 6,
    NotRegistered = 7,
    NumberSwitchRequired = 8,
    InvalidRequest = 9,
}

/// <summary>The outcome of the verdict order for one check.</summary>
/// <param name="GraceExpiresAtTicks">UTC ticks when the grace runs out; 0 unless <see cref="Reason.NumberSwitchGrace"/>.</param>
public readonly record struct Decision(Verdict Verdict, EquipmentStatus Status, Reason Reason, long GraceExpiresAtTicks)
{
    public DateTimeOffset? GraceExpiresAt => GraceExpiresAtTicks == 0 ? null : new DateTimeOffset(GraceExpiresAtTicks, TimeSpan.Zero);

    /// <summary>True when the IMEI is unregistered and unbound (the case <c>Policy:UnknownEquipment</c> may map to "unknown").</summary>
    public bool IsUnknownEquipment => Reason == Reason.NotRegistered;

    internal static Decision Allow(Reason reason) => new(Verdict.Allow, EquipmentStatus.Whitelisted, reason, 0);

    internal static Decision Deny(Reason reason) => new(Verdict.Deny, EquipmentStatus.Blacklisted, reason, 0);
}
