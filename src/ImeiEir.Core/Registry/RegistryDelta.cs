namespace ImeiEir.Core.Registry;

/// <summary>One change from the registry or an operator, as received (text not yet validated).</summary>
public abstract record RegistryDelta;

/// <summary>Register a device with all its IMEIs (14 digits, or 15 with a valid check digit).</summary>
public sealed record RegisterDeviceDelta(string DeviceId, IReadOnlyList<string> Imeis) : RegistryDelta;

/// <summary>Remove a registered device and all its IMEIs.</summary>
public sealed record UnregisterDeviceDelta(string DeviceId) : RegistryDelta;

/// <summary>Bind an IMEI to a subscriber number (amnesty record), optionally with the IMSI.</summary>
public sealed record BindDelta(string Imei, string Msisdn, string Imsi) : RegistryDelta;

/// <summary>Remove the binding record exactly as bound.</summary>
public sealed record UnbindDelta(string Imei, string Msisdn, string Imsi) : RegistryDelta;

/// <summary>Block an IMEI reported stolen.</summary>
public sealed record ReportStolenDelta(string Imei, string CaseReference) : RegistryDelta;

/// <summary>Lift a stolen report.</summary>
public sealed record ClearStolenDelta(string Imei) : RegistryDelta;

/// <summary>Set the MSISDN an IMSI belongs to.</summary>
public sealed record UpsertSubscriberDelta(string Imsi, string Msisdn) : RegistryDelta;

/// <summary>Remove an IMSI from the subscriber map.</summary>
public sealed record RemoveSubscriberDelta(string Imsi) : RegistryDelta;

/// <summary>NUMBER SWITCH: move a bound IMEI (or, from self-service, every IMEI in grace) to a new number.</summary>
public sealed record SwitchNumberDelta(string PreviousMsisdn, string NewMsisdn, string Imei) : RegistryDelta;
