namespace ImeiEir.Storage.Audit;

/// <summary>How a change reached the registry (numbers match the proto's <c>AuditSource</c>).</summary>
public enum AuditSource : byte
{
    Unspecified = 0,
    Sync = 1,
    SelfService = 2,
}

/// <summary>
/// Who sent a change and what it held, as the adapter that took it knows: recorded with the change in the commit
/// itself, so the trail has an entry exactly for each committed change.
/// </summary>
/// <param name="Client">The credential's client name; empty without authentication.</param>
/// <param name="SourceAddress">The peer's address and port.</param>
/// <param name="Counts">Deltas by kind, in the order of the proto's <c>Delta.change</c> (register_device first).</param>
public sealed record AuditOrigin(string Client, string SourceAddress, AuditSource Source, uint[] Counts)
{
    /// <summary>How many delta kinds <see cref="Counts"/> holds (the proto's <c>Delta.change</c> cases).</summary>
    public const int Kinds = 9;

    /// <summary>An origin for callers that know nothing of the client (tests, tools in process).</summary>
    public static AuditOrigin Unknown(AuditSource source, uint[] counts) => new("", "", source, counts);
}
