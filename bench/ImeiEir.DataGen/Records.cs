namespace ImeiEir.DataGen;

/// <summary>A registered device: registry id and its IMEI keys (14-digit TAC+SNR); <see cref="Imei2"/> is -1 when single-SIM.</summary>
public readonly record struct RegisteredDevice(long Id, long Imei1, long Imei2)
{
    public bool IsDual => Imei2 >= 0;
}

/// <summary>An amnesty binding record: an IMEI key bound to a number and, optionally, an IMSI key (0: none).</summary>
/// <param name="SubscriberIndex">Index of the subscriber in <see cref="Subscribers"/>.</param>
public readonly record struct Binding(long Imei, long Msisdn, long ImsiKey, long SubscriberIndex);

/// <summary>A stolen IMEI with the police case it was reported under (both IMEIs of a device share the case).</summary>
public readonly record struct StolenImei(long Imei, long CaseNumber)
{
    /// <summary>The case reference as the registry shows it, e.g. <c>KG-2024-004711</c> (allocates).</summary>
    public string CaseReference => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"KG-{2022 + (CaseNumber % 4)}-{CaseNumber:D6}");
}

/// <summary>Counts of a generated data set (one full walk).</summary>
public readonly record struct DataSetSummary(
    long Devices,
    long DualDevices,
    long RegisteredImeis,
    long AmnestyImeis,
    long CloneImeis,
    long Bindings,
    long StolenImeis,
    long Subscribers,
    int Tacs);

/// <summary>How one unit (device slot) of a shipment lot was generated.</summary>
[Flags]
public enum UnitKind : byte
{
    /// <summary>Single-SIM, registered.</summary>
    Single = 0,
    /// <summary>Two IMEIs.</summary>
    Dual = 1,
    /// <summary>With <see cref="Dual"/>: the second IMEI is TAC+1 with the same SNR (else the next SNR).</summary>
    NeighbourTac = 2,
    /// <summary>Not registered: whitelisted by the amnesty and bound to a number.</summary>
    Amnesty = 4,
}
