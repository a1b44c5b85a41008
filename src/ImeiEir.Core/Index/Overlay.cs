namespace ImeiEir.Core.Index;

/// <summary>
/// Changes on top of a snapshot: for every key touched since, its new state. Never mutated once published in a
/// view (writers clone, change the clone, publish it), so readers may look up without locks.
/// </summary>
internal sealed class Overlay
{
    public static Overlay Empty { get; } = new();

    public Dictionary<long, bool> Registered { get; }

    public Dictionary<long, bool> Stolen { get; }

    public Dictionary<long, BindingList> Bindings { get; }

    /// <summary>IMSI key → MSISDN; 0 means removed.</summary>
    public Dictionary<long, long> Subscribers { get; }

    public Overlay()
    {
        Registered = [];
        Stolen = [];
        Bindings = [];
        Subscribers = [];
    }

    private Overlay(Overlay source)
    {
        Registered = new Dictionary<long, bool>(source.Registered);
        Stolen = new Dictionary<long, bool>(source.Stolen);
        Bindings = new Dictionary<long, BindingList>(source.Bindings);
        Subscribers = new Dictionary<long, long>(source.Subscribers);
    }

    public int Count => Registered.Count + Stolen.Count + Bindings.Count + Subscribers.Count;

    public bool IsEmpty => Count == 0;

    public Overlay Clone() => new(this);

    /// <summary>This overlay with <paramref name="newer"/>'s entries written over it (a new instance).</summary>
    public Overlay MergedWith(Overlay newer)
    {
        var m = Clone();
        foreach (var kv in newer.Registered)
        {
            m.Registered[kv.Key] = kv.Value;
        }

        foreach (var kv in newer.Stolen)
        {
            m.Stolen[kv.Key] = kv.Value;
        }

        foreach (var kv in newer.Bindings)
        {
            m.Bindings[kv.Key] = kv.Value;
        }

        foreach (var kv in newer.Subscribers)
        {
            m.Subscribers[kv.Key] = kv.Value;
        }

        return m;
    }
}
