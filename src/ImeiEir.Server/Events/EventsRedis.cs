using ImeiEir.Storage;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// The node's Redis connection as events use it: the node's one connection (<see cref="RedisConnectionProvider"/>, no
/// second one) and the cluster's key prefix. The one place events depend on Storage.
/// </summary>
public sealed class EventsRedis(RedisConnectionProvider connection, RedisOptions options)
{
    /// <summary>Prefix of every key (<c>Redis:KeyPrefix</c>).</summary>
    public string KeyPrefix { get; } = options.KeyPrefix;

    public bool IsConnected => connection.IsConnected;

    /// <summary>The database; throws <see cref="StoreUnavailableException"/> until the node has connected.</summary>
    public IDatabase Database => connection.Database;

    public ISubscriber Subscriber => connection.Subscriber;
}
