namespace ImeiEir.DataGen;

/// <summary>
/// The knobs of the synthetic national data set. Every default is the value the benchmarks use; README.md
/// explains the model behind each one.
/// </summary>
public sealed record DataSetOptions
{
    /// <summary>Seed of every random choice. Same seed and options, same data set, on any machine. Default 20 240 601.</summary>
    public ulong Seed { get; init; } = 20_240_601;

    /// <summary>Registered devices (each with one or two IMEIs). Default 1 000 000.</summary>
    public long Devices { get; init; } = 1_000_000;

    /// <summary>Distinct TACs (device models) in use. Default (null): Devices / 10 000, clamped to 2 000..20 000.</summary>
    public int? TacCount { get; init; }

    /// <summary>Exponent s of the Zipf law of TAC popularity (rank r gets weight 1/r^s). Default 1.0.</summary>
    public double ZipfExponent { get; init; } = 1.0;

    /// <summary>
    /// Most devices of one TAC sold into the country. Default 300 000 (of the 10^6 SNRs a TAC has): popular models
    /// spill onto further TACs, as real ones do, and a TAC's lots always fit its SNR space.
    /// </summary>
    public int MaxDevicesPerTac { get; init; } = 300_000;

    /// <summary>Share of devices that carry two IMEIs (dual SIM). Default 0.15.</summary>
    public double DualImeiFraction { get; init; } = 0.15;

    /// <summary>
    /// Share of TACs whose dual-SIM variant puts the second IMEI in the neighbouring TAC (TAC+1, same SNR) instead of
    /// the next SNR. Default 0.25.
    /// </summary>
    public double NeighbourTacDualShare { get; init; } = 0.25;

    /// <summary>Smallest shipment lot, in devices manufactured with consecutive SNRs. Default 200.</summary>
    public int LotMinDevices { get; init; } = 200;

    /// <summary>Largest shipment lot (lot sizes are log-uniform between the two). Default 5 000.</summary>
    public int LotMaxDevices { get; init; } = 5_000;

    /// <summary>Smallest fraction of a lot sold into the country. Default 0.3.</summary>
    public double SoldFractionMin { get; init; } = 0.3;

    /// <summary>Largest fraction of a lot sold into the country (uniform between the two). Default 0.9.</summary>
    public double SoldFractionMax { get; init; } = 0.9;

    /// <summary>
    /// Devices of the same lots that were never registered but whitelisted by the amnesty and bound to the number
    /// they were seen with, per registered device. Default 0.03.
    /// </summary>
    public double AmnestyFraction { get; init; } = 0.03;

    /// <summary>Chance that an amnesty IMEI is bound to a second number as well (a family SIM). Default 0.1.</summary>
    public double ExtraBindingChance { get; init; } = 0.1;

    /// <summary>Share of binding records that also carry the subscriber's IMSI. Default 0.4.</summary>
    public double BindingImsiShare { get; init; } = 0.4;

    /// <summary>Popular cloned IMEIs besides the null IMEI. Default 12.</summary>
    public int CloneCount { get; init; } = 12;

    /// <summary>Numbers bound to the null IMEI. Default (null): Devices / 500, clamped to 2 000..200 000. Clone k gets this / (k+1)^0.7, at least 1 000.</summary>
    public int? NullImeiBindings { get; init; }

    /// <summary>Share of registered devices reported stolen (all their IMEIs). Default 0.005.</summary>
    public double StolenFraction { get; init; } = 0.005;

    /// <summary>Home subscribers (IMSI→MSISDN entries) per registered device. Default 1.0.</summary>
    public double SubscriberRatio { get; init; } = 1.0;

    /// <summary>Options whose data set has about <paramref name="registeredImeis"/> registered IMEIs (devices × 1.15).</summary>
    public static DataSetOptions ForRegisteredImeis(long registeredImeis, ulong? seed = null)
    {
        var o = new DataSetOptions();
        o = o with { Devices = (long)Math.Round(registeredImeis / (1 + o.DualImeiFraction)) };
        return seed is { } s ? o with { Seed = s } : o;
    }

    internal int EffectiveTacCount => TacCount ?? (int)Math.Clamp(Devices / 10_000, 2_000, 20_000);

    internal int EffectiveNullImeiBindings => NullImeiBindings ?? (int)Math.Clamp(Devices / 500, 2_000, 200_000);

    internal long SubscriberCount => Math.Max(1, (long)Math.Round(Devices * SubscriberRatio));

    internal void Validate()
    {
        if (Devices < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Devices), Devices, "At least one device.");
        }

        if ((long)EffectiveTacCount * MaxDevicesPerTac < Devices)
        {
            throw new ArgumentOutOfRangeException(nameof(TacCount), EffectiveTacCount, $"{EffectiveTacCount} TACs of at most {MaxDevicesPerTac} devices cannot hold {Devices} devices.");
        }

        if (MaxDevicesPerTac is < 1 or > 400_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDevicesPerTac), MaxDevicesPerTac, "1..400 000: the lots of a TAC must fit its 10^6 SNRs.");
        }

        if (LotMinDevices < 1 || LotMaxDevices < LotMinDevices)
        {
            throw new ArgumentOutOfRangeException(nameof(LotMinDevices), "Lot sizes must be positive and min <= max.");
        }

        if (SoldFractionMin is <= 0 or > 1 || SoldFractionMax < SoldFractionMin || SoldFractionMax > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SoldFractionMin), "Sold fractions must be in (0, 1] and min <= max.");
        }

        if (SubscriberCount > Subscribers.NumberSpace)
        {
            throw new ArgumentOutOfRangeException(nameof(SubscriberRatio), SubscriberCount, $"At most {Subscribers.NumberSpace} subscribers fit the numbering plan.");
        }
    }
}
