using System.Collections.Concurrent;

namespace ImeiEir.Core.Policy;

/// <summary>
/// Who a grace mark is for: the MSISDN when the check carried one (or the IMSI mapped to one), else the IMSI.
/// IMSI keys carry bit 62 so the two never collide.
/// </summary>
public readonly record struct SubscriberKey(long Value)
{
    private const long ImsiTag = 1L << 62;

    public static SubscriberKey FromMsisdn(long msisdn) => new(msisdn);

    public static SubscriberKey FromImsi(long imsiKey) => new(imsiKey | ImsiTag);

    public bool IsImsi => (Value & ImsiTag) != 0;

    /// <summary>The MSISDN, or 0 for an IMSI key.</summary>
    public long Msisdn => IsImsi ? 0 : Value;

    /// <summary>The IMSI key, or 0 for an MSISDN key.</summary>
    public long Imsi => IsImsi ? Value & ~ImsiTag : 0;
}

/// <summary>
/// The first time each (IMEI, subscriber) pair was checked while the IMEI was bound to other subscribers: the
/// start of its number-switch grace. Implementations must be safe for concurrent use; the cluster-wide one
/// (Redis) keeps the earliest time any node saw.
/// </summary>
public interface IGraceMarks
{
    /// <summary>The first-seen time (UTC ticks) of the pair, recording <paramref name="nowTicks"/> if this is the first.</summary>
    long FirstSeen(long imei, SubscriberKey subscriber, long nowTicks);

    /// <summary>Every IMEI marked with this subscriber, first seen at or after <paramref name="sinceTicks"/>.</summary>
    IReadOnlyList<long> ImeisSeenWith(SubscriberKey subscriber, long sinceTicks);

    /// <summary>Forgets a pair (after a switch made it bound).</summary>
    void Remove(long imei, SubscriberKey subscriber);
}

/// <summary>Grace marks held in this process: the node's own view, and the whole store in tests.</summary>
public sealed class InMemoryGraceMarks : IGraceMarks
{
    private readonly ConcurrentDictionary<(long Imei, long Subscriber), long> _marks = new();

    public int Count => _marks.Count;

    public long FirstSeen(long imei, SubscriberKey subscriber, long nowTicks)
    {
        // TryGetValue first: the common repeat check does not allocate a closure or node.
        var key = (imei, subscriber.Value);
        return _marks.TryGetValue(key, out var t) ? t : _marks.GetOrAdd(key, nowTicks);
    }

    /// <summary>Records a time learnt elsewhere; the earliest wins. Returns the time kept.</summary>
    public long Merge(long imei, SubscriberKey subscriber, long ticks)
        => _marks.AddOrUpdate((imei, subscriber.Value), ticks, (_, existing) => Math.Min(existing, ticks));

    public bool TryGet(long imei, SubscriberKey subscriber, out long ticks) => _marks.TryGetValue((imei, subscriber.Value), out ticks);

    public IReadOnlyList<long> ImeisSeenWith(SubscriberKey subscriber, long sinceTicks)
    {
        var result = new List<long>();
        foreach (var kv in _marks)
        {
            if (kv.Key.Subscriber == subscriber.Value && kv.Value >= sinceTicks)
            {
                result.Add(kv.Key.Imei);
            }
        }

        result.Sort();
        return result;
    }

    public void Remove(long imei, SubscriberKey subscriber) => _marks.TryRemove((imei, subscriber.Value), out _);

    /// <summary>Drops marks first seen before <paramref name="olderThanTicks"/>. Returns how many.</summary>
    public int Prune(long olderThanTicks)
    {
        var n = 0;
        foreach (var kv in _marks)
        {
            if (kv.Value < olderThanTicks && _marks.TryRemove(kv))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Every mark (for reconciliation with the cluster store).</summary>
    public IEnumerable<(long Imei, SubscriberKey Subscriber, long Ticks)> All()
    {
        foreach (var kv in _marks)
        {
            yield return (kv.Key.Imei, new SubscriberKey(kv.Key.Subscriber), kv.Value);
        }
    }
}

/// <summary>
/// Receives the bindings the amnesty window creates on the check path; must not block. Which of them make a binding is
/// <see cref="Registry.AmnestyBindings.TryCreate"/>'s decision (a check without an MSISDN makes none).
/// </summary>
public interface IAutoWhitelistSink
{
    void Bind(long imei, long msisdn, long imsiKey);
}
