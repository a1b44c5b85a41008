using System.Globalization;
using System.Threading.Channels;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Grace marks kept cluster-wide. The check path reads and writes only the node's own copy (no Redis call); a
/// new mark is queued and merged into Redis in the background, where the earliest time any node saw wins, and the
/// result is broadcast so every node honours the same clock. While Redis is away the queue holds the node's own
/// marks and they are merged when it returns.
/// </summary>
public sealed partial class ClusterGraceMarks : IGraceMarks
{
    private readonly InMemoryGraceMarks _local = new();
    private readonly Channel<(long Imei, SubscriberKey Subscriber, long Ticks)> _outbox =
        Channel.CreateUnbounded<(long, SubscriberKey, long)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PolicyOptions _policy;
    private readonly ILogger _log;

    public ClusterGraceMarks(PolicyOptions policy, ILogger<ClusterGraceMarks> log)
    {
        _policy = policy;
        _log = log;
    }

    /// <summary>Marks held by this node.</summary>
    public int Count => _local.Count;

    /// <summary>Marks waiting to be merged into Redis.</summary>
    public int Pending => _outbox.Reader.Count;

    public long FirstSeen(long imei, SubscriberKey subscriber, long nowTicks)
    {
        if (_local.TryGet(imei, subscriber, out var known))
        {
            return known;
        }

        var first = _local.FirstSeen(imei, subscriber, nowTicks);
        if (first == nowTicks)
        {
            _outbox.Writer.TryWrite((imei, subscriber, first));
        }

        return first;
    }

    public IReadOnlyList<long> ImeisSeenWith(SubscriberKey subscriber, long sinceTicks) => _local.ImeisSeenWith(subscriber, sinceTicks);

    public void Remove(long imei, SubscriberKey subscriber) => _local.Remove(imei, subscriber);

    /// <summary>A mark another node published (<c>imei:subscriber:ticks</c>).</summary>
    public void OnPublished(string message)
    {
        var parts = message.Split(':');
        if (parts.Length == 3 &&
            long.TryParse(parts[0], CultureInfo.InvariantCulture, out var imei) &&
            long.TryParse(parts[1], CultureInfo.InvariantCulture, out var sub) &&
            long.TryParse(parts[2], CultureInfo.InvariantCulture, out var ticks))
        {
            _local.Merge(imei, new SubscriberKey(sub), ticks);
        }
    }

    /// <summary>Loads every mark from Redis, then queues the node's own so Redis learns the ones it missed.</summary>
    public async Task HydrateAsync(RedisStore store, CancellationToken ct)
    {
        var n = 0;
        await foreach (var (imei, sub, ticks) in store.ReadAllGraceMarksAsync().WithCancellation(ct).ConfigureAwait(false))
        {
            _local.Merge(imei, sub, ticks);
            n++;
        }

        foreach (var mark in _local.All())
        {
            _outbox.Writer.TryWrite(mark);
        }

        Log.GraceMarksLoaded(_log, n);
    }

    /// <summary>Merges queued marks into Redis until cancelled, retrying while Redis is away.</summary>
    public async Task PumpAsync(RedisStore store, CancellationToken ct)
    {
        var retention = _policy.GraceMarkRetention;
        var nextPrune = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            (long Imei, SubscriberKey Subscriber, long Ticks) mark;
            try
            {
                mark = await _outbox.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var kept = await store.MergeGraceMarkAsync(mark.Imei, mark.Subscriber, mark.Ticks, retention).ConfigureAwait(false);
                    _local.Merge(mark.Imei, mark.Subscriber, kept);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.GraceMergeFailed(_log, StorageErrors.ForLog(ex));
                    await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                }
            }

            if (DateTime.UtcNow >= nextPrune)
            {
                _local.Prune(DateTime.UtcNow.Ticks - retention.Ticks);
                nextPrune = DateTime.UtcNow.AddMinutes(10);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Loaded {Count} grace marks from Redis")]
        public static partial void GraceMarksLoaded(ILogger logger, int count);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Could not merge a grace mark into Redis, will retry: {Error}")]
        public static partial void GraceMergeFailed(ILogger logger, string error);
    }
}
