using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// Wakes this node's subscriptions when any node appends an event (the raise script publishes to
/// <see cref="EventKeys.Notify"/>), so a subscriber reads within milliseconds instead of at its next poll. One Redis
/// subscription per node, made on first use; a missed message only delays a read to the poll interval.
/// </summary>
internal sealed class EventSignal(EventsRedis redis, EventStore store)
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _subscribed;

    /// <summary>Completes at the next event appended anywhere (after the call).</summary>
    public Task Next
    {
        get
        {
            EnsureSubscribed();
            return Volatile.Read(ref _next).Task;
        }
    }

    private void EnsureSubscribed()
    {
        if (Interlocked.CompareExchange(ref _subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            redis.Subscriber.Subscribe(store.Keys.Notify, (_, _) => Fire());
        }
        catch (Exception ex) when (ex is RedisException or Storage.StoreUnavailableException)
        {
            Volatile.Write(ref _subscribed, 0); // not connected yet: the next read tries again, polling meanwhile
        }
    }

    private void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
