namespace ImeiEir.Core.Events;

/// <summary>
/// The first home IMSI this node saw with each IMEI in the current half day: a fixed table (allocated once, 16 bytes
/// a slot) indexed by IMEI. A check whose IMSI differs from the one kept is a clone candidate, handed to the
/// publisher, which counts distinct IMSIs per IMEI cluster-wide (HyperLogLog in Redis); an IMEI always seen with
/// the same IMSI, nearly every IMEI, never leaves this table. The common case reads two array elements without a
/// lock; a torn read of a slot being rewritten only sends the check to the locked path, which decides again.
/// </summary>
public sealed class ImsiSightings
{
    private static readonly long HalfDay = TimeSpan.FromHours(12).Ticks;
    private readonly long[] _tags;
    private readonly long[] _imsis;
    private readonly Lock[] _locks = SlotTable.Locks();
    private readonly int _mask;

    /// <param name="slots">Table size, rounded up to a power of two (Events:CloneTableSlots).</param>
    public ImsiSightings(int slots)
    {
        var n = SlotTable.Size(slots);
        _tags = new long[n];
        _imsis = new long[n];
        _mask = n - 1;
    }

    /// <summary>The half-day bucket of a time (the unit the cluster-wide counts are kept in).</summary>
    public static long HalfDayOf(long ticks) => ticks / HalfDay;

    /// <summary>
    /// Records that <paramref name="imei"/> was seen with <paramref name="imsiKey"/>; returns the IMSI kept for it this
    /// half day when that is another one (a candidate), else 0.
    /// </summary>
    public long Sight(long imei, long imsiKey, long nowTicks)
    {
        // IMEI keys are below 10^14 < 2^47: the half-day bucket goes above them, so a slot of yesterday never matches.
        var tag = imei | ((HalfDayOf(nowTicks) & 0xFFFF) << 47);
        var slot = (int)(Mix(imei) & (ulong)_mask);
        if (Volatile.Read(ref _tags[slot]) == tag && Volatile.Read(ref _imsis[slot]) == imsiKey)
        {
            return 0;
        }

        lock (_locks[slot & (SlotTable.Stripes - 1)])
        {
            if (_tags[slot] != tag)
            {
                _imsis[slot] = imsiKey;
                Volatile.Write(ref _tags[slot], tag);
                return 0;
            }

            var kept = _imsis[slot];
            return kept == imsiKey ? 0 : kept;
        }
    }

    private static ulong Mix(long imei)
    {
        var h = (ulong)imei * 0x9E3779B97F4A7C15UL;
        return h ^ (h >> 29);
    }
}
