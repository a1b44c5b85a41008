using System.Globalization;
using ImeiEir.Core.Events;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>The Redis keys of events (docs/redis-schema.md, "Events"), all under <c>Redis:KeyPrefix</c>.</summary>
public sealed class EventKeys(string prefix)
{
    /// <summary>Stream of every event.</summary>
    public RedisKey All { get; } = prefix + ":ev:all";

    /// <summary>Grace warnings due (score: Unix ms the warning is due; member: the grace_started event's fields).</summary>
    public RedisKey Warnings { get; } = prefix + ":ev:warn";

    /// <summary>Held by the node sweeping warnings (value: its name), expiring on its own.</summary>
    public RedisKey SweepLock { get; } = prefix + ":ev:sweep-lock";

    /// <summary>IMEIs over the clone threshold (score: distinct IMSIs).</summary>
    public RedisKey Clones { get; } = prefix + ":ev:clones";

    /// <summary>When each clone suspect was last counted over the threshold (Unix ms).</summary>
    public RedisKey ClonesAt { get; } = prefix + ":ev:clones-at";

    /// <summary>Published to after each event, so subscribers on every node read at once.</summary>
    public RedisChannel Notify { get; } = RedisChannel.Literal(prefix + ":ev:new");

    /// <summary>Stream of one home operator's events ("437-01").</summary>
    public RedisKey Operator(string homeOperator) => prefix + ":ev:op:" + homeOperator;

    /// <summary>The stream a subscription reads: the operator's, or all events.</summary>
    public RedisKey Stream(string homeOperator) => homeOperator.Length == 0 ? All : Operator(homeOperator);

    /// <summary>When the pair last raised the kind (Unix ms): the cluster-wide exactly-once decision.</summary>
    public RedisKey Once(EventKind kind, string imei, long subscriber)
        => string.Create(CultureInfo.InvariantCulture, $"{prefix}:ev:once:{(int)kind}:{imei}:{subscriber}");

    /// <summary>HyperLogLog of the home IMSIs seen with an IMEI in one half day.</summary>
    public RedisKey Imsis(long imei, long halfDay)
        => string.Create(CultureInfo.InvariantCulture, $"{prefix}:ev:imsis:{imei}:{halfDay}");
}
