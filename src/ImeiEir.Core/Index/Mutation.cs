namespace ImeiEir.Core.Index;

/// <summary>What one resolved change does to the index.</summary>
public enum MutationKind : byte
{
    AddRegistered = 1,
    RemoveRegistered = 2,
    AddBinding = 3,
    RemoveBinding = 4,
    AddStolen = 5,
    RemoveStolen = 6,
    SetSubscriber = 7,
    RemoveSubscriber = 8,
}

/// <summary>
/// A resolved change to the verdict index: the effect of a registry delta after device ids, switches and the
/// like were worked out. Applying the same mutation twice leaves the same state (effects are idempotent).
/// </summary>
/// <param name="Imei">IMEI key, for every kind but the subscriber ones.</param>
/// <param name="Msisdn">MSISDN value for bindings and subscribers (0: none).</param>
/// <param name="Imsi">IMSI key for bindings (0: none) and subscribers.</param>
public readonly record struct Mutation(MutationKind Kind, long Imei, long Msisdn = 0, long Imsi = 0)
{
    public static Mutation Register(long imei) => new(MutationKind.AddRegistered, imei);

    public static Mutation Unregister(long imei) => new(MutationKind.RemoveRegistered, imei);

    public static Mutation Bind(long imei, long msisdn, long imsi = 0) => new(MutationKind.AddBinding, imei, msisdn, imsi);

    public static Mutation Unbind(long imei, long msisdn, long imsi = 0) => new(MutationKind.RemoveBinding, imei, msisdn, imsi);

    public static Mutation Stolen(long imei) => new(MutationKind.AddStolen, imei);

    public static Mutation ClearStolen(long imei) => new(MutationKind.RemoveStolen, imei);

    public static Mutation Subscriber(long imsi, long msisdn) => new(MutationKind.SetSubscriber, 0, msisdn, imsi);

    public static Mutation RemoveSubscriber(long imsi) => new(MutationKind.RemoveSubscriber, 0, 0, imsi);
}
