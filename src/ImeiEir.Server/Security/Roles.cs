namespace ImeiEir.Server.Security;

/// <summary>The roles the contract names; each is an authorization policy of the same name.</summary>
public static class Roles
{
    /// <summary>EquipmentCheck (gRPC) and N5g-eir.</summary>
    public const string Check = "check";

    /// <summary>SelfService (the USSD gateway).</summary>
    public const string SelfService = "selfservice";

    /// <summary>RegistrySync (bulk deltas).</summary>
    public const string Sync = "sync";

    /// <summary>EventFeed (operators' SMS gateways, the police's case system).</summary>
    public const string Events = "events";

    public static readonly string[] All = [Check, SelfService, Sync, Events];
}
