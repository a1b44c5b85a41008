namespace ImeiEir.Core.Registry;

/// <summary>How a change reached the registry (numbers match the proto's <c>AuditSource</c>).</summary>
public enum ChangeSource : byte
{
    Unspecified = 0,
    /// <summary><c>RegistrySync.Apply</c>.</summary>
    Sync = 1,
    /// <summary><c>SelfService.SwitchNumber</c>.</summary>
    SelfService = 2,
    /// <summary>The node's own amnesty window (<c>Policy:AutoWhitelist</c>) binding what checks saw.</summary>
    Amnesty = 3,
}

/// <summary>
/// Who sent a change and what it held, as the adapter that took it knows: the audit trail records it with the change,
/// in the same commit (docs/audit.md).
/// </summary>
/// <param name="Client">The credential's client name; empty without authentication or for the node's own changes.</param>
/// <param name="SourceAddress">The peer's address and port; empty for the node's own changes.</param>
/// <param name="Counts">Deltas by kind, <see cref="Kinds"/> of them, in the order of the proto's <c>Delta.change</c>.</param>
public sealed record ChangeOrigin(string Client, string SourceAddress, ChangeSource Source, uint[] Counts)
{
    /// <summary>How many delta kinds <see cref="Counts"/> holds (the proto's <c>Delta.change</c> cases, register_device first).</summary>
    public const int Kinds = 9;

    /// <summary>Index of switch_number in <see cref="Counts"/>.</summary>
    public const int SwitchNumberKind = 8;

    /// <summary>Index of bind in <see cref="Counts"/>.</summary>
    public const int BindKind = 2;

    /// <summary>A self-service NUMBER SWITCH by <paramref name="client"/>.</summary>
    public static ChangeOrigin SelfServiceSwitch(string client, string sourceAddress)
    {
        var counts = new uint[Kinds];
        counts[SwitchNumberKind] = 1;
        return new ChangeOrigin(client, sourceAddress, ChangeSource.SelfService, counts);
    }

    /// <summary>Bindings the node's amnesty window made.</summary>
    public static ChangeOrigin AmnestyBindings(int count)
    {
        var counts = new uint[Kinds];
        counts[BindKind] = (uint)count;
        return new ChangeOrigin("", "", ChangeSource.Amnesty, counts);
    }
}
