namespace ImeiEir.DataGen;

/// <summary>
/// The generated units of one TAC, in ascending SNR order: a reusable buffer (two arrays of 10^6 entries), so a
/// walk over 100 M devices allocates nothing per device.
/// </summary>
public sealed class TacBatch
{
    internal const int SnrSpace = 1_000_000;

    private readonly int[] _snrs = new int[SnrSpace];
    private readonly UnitKind[] _kinds = new UnitKind[SnrSpace];

    /// <summary>Position of the TAC in <see cref="NationalDataSet.Tacs"/>.</summary>
    public int TacIndex { get; private set; }

    /// <summary>The 8-digit TAC.</summary>
    public long Tac { get; private set; }

    /// <summary>Registry id of this TAC's first registered device.</summary>
    public long FirstDeviceId { get; private set; }

    /// <summary>Units generated (registered and amnesty).</summary>
    public int Count { get; private set; }

    /// <summary>First SNR of each unit (a consecutive dual unit also holds SNR+1).</summary>
    public ReadOnlySpan<int> Snrs => _snrs.AsSpan(0, Count);

    /// <summary>How each unit was generated.</summary>
    public ReadOnlySpan<UnitKind> Kinds => _kinds.AsSpan(0, Count);

    /// <summary>The key of the unit's first IMEI.</summary>
    public long Imei1(int unit) => (Tac * SnrSpace) + _snrs[unit];

    /// <summary>The key of the unit's second IMEI, or -1 for a single-SIM unit.</summary>
    public long Imei2(int unit)
    {
        var kind = _kinds[unit];
        if ((kind & UnitKind.Dual) == 0)
        {
            return -1;
        }

        return (kind & UnitKind.NeighbourTac) != 0 ? ((Tac + 1) * SnrSpace) + _snrs[unit] : (Tac * SnrSpace) + _snrs[unit] + 1;
    }

    internal void Reset(int tacIndex, long tac, long firstDeviceId)
    {
        TacIndex = tacIndex;
        Tac = tac;
        FirstDeviceId = firstDeviceId;
        Count = 0;
    }

    internal void Add(int snr, UnitKind kind)
    {
        _snrs[Count] = snr;
        _kinds[Count] = kind;
        Count++;
    }
}
