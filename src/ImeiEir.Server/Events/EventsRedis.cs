using ImeiEir.Storage;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// The node's Redis connection as events use it: the store's multiplexer (no second connection) and the cluster's
/// key prefix. The one place events depend on <see cref="RedisStore"/>.
/// </summary>
public sealed class EventsRedis(RedisStore store, RedisOptions options)
{
    /// <summary>Prefix of every key (<c>Redis:KeyPrefix</c>).</summary>
    public string KeyPrefix { get; } = options.KeyPrefix;

    public bool IsConnected => store.IsConnected;

    /// <summary>The database; throws <see cref="StoreUnavailableException"/> until the node has connected.</summary>
    public IDatabase Database => store.Subscriber.Multiplexer.GetDatabase();

    public ISubscriber Subscriber => store.Subscriber;
}
