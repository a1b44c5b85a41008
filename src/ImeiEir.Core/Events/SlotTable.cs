namespace ImeiEir.Core.Events;

/// <summary>What the fixed, striped-lock tables of the check path (<see cref="RecentEvents"/>, <see cref="ImsiSightings"/>) share.</summary>
internal static class SlotTable
{
    /// <summary>Stripes of locks: a slot's lock is <c>slot &amp; (Stripes - 1)</c>.</summary>
    public const int Stripes = 64;

    /// <summary>The table size for a setting: a power of two, 64 to 2^28.</summary>
    public static int Size(int slots) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(slots, 64, 1 << 28));

    /// <summary>One lock per stripe, made once.</summary>
    public static Lock[] Locks()
    {
        var locks = new Lock[Stripes];
        for (var i = 0; i < Stripes; i++)
        {
            locks[i] = new Lock();
        }

        return locks;
    }
}
