namespace ImeiEir.Core.Events;

/// <summary>
/// The node's memory of events it raised recently, so a repeat check of the same pair reaches neither the queue nor
/// Redis. A fixed table (allocated once) indexed by a 64-bit hash of kind, IMEI and subscriber; a slot keeps the
/// newest pair hashed to it, so it forgets when two pairs share a slot, and a forgotten pair only costs one
/// cluster-wide check in Redis (which decides). It never suppresses a pair it has not raised: a slot is matched by
/// the whole 64-bit hash, written under the slot's lock.
/// </summary>
public sealed class RecentEvents
{
    private readonly long[] _keys;
    private readonly long[] _until;
    private readonly Lock[] _locks = SlotTable.Locks();
    private readonly int _mask;

    /// <param name="slots">Table size, rounded up to a power of two (16 bytes a slot).</param>
    public RecentEvents(int slots)
    {
        var n = SlotTable.Size(slots);
        _keys = new long[n];
        _until = new long[n];
        _mask = n - 1;
    }

    /// <summary>
    /// Claims the pair for raising: false when this node raised it and its window has not run out at
    /// <paramref name="nowTicks"/>; else remembers it as raised until <paramref name="untilTicks"/> and returns true.
    /// One hash and one lock: two checks of the same pair at once cannot both claim it.
    /// </summary>
    public bool TryClaim(EventKind kind, long imei, long subscriber, long nowTicks, long untilTicks)
    {
        var h = Hash(kind, imei, subscriber);
        var slot = (int)(h & (ulong)_mask);
        lock (_locks[slot & (SlotTable.Stripes - 1)])
        {
            if (_keys[slot] == (long)h && _until[slot] > nowTicks)
            {
                return false;
            }

            _keys[slot] = (long)h;
            _until[slot] = untilTicks;
            return true;
        }
    }

    /// <summary>Forgets the pair (it could not be queued: the next check offers it again).</summary>
    public void Forget(EventKind kind, long imei, long subscriber)
    {
        var h = Hash(kind, imei, subscriber);
        var slot = (int)(h & (ulong)_mask);
        lock (_locks[slot & (SlotTable.Stripes - 1)])
        {
            if (_keys[slot] == (long)h)
            {
                _keys[slot] = 0;
            }
        }
    }

    // xxHash64's final mix over the three values: well spread low bits for the slot, and a full 64-bit identity.
    private static ulong Hash(EventKind kind, long imei, long subscriber)
    {
        var h = ((ulong)imei * 0x9E3779B97F4A7C15UL) ^ ((ulong)subscriber * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)kind << 56);
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h | 1; // never 0: 0 marks an empty slot
    }
}
