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
    private readonly TimeProvider _time;
    private int _pending;
    private readonly ILogger _log;

    /// <param name="policy">Grace mark retention.</param>
    /// <param name="time">The clock pruning and retry waits go by (the node's <see cref="TimeProvider"/>; a fake in tests).</param>
    /// <param name="log">Where merge failures go.</param>
    public ClusterGraceMarks(PolicyOptions policy, TimeProvider time, ILogger<ClusterGraceMarks> log)
    {
        _policy = policy;
        _time = time;
        _log = log;
    }

    /// <summary>Marks held by this node.</summary>
    public int Count => _local.Count;

    /// <summary>Marks waiting to be merged into Redis.</summary>
    /// <remarks>
    /// Counted here: the single-reader channel cannot count its items (its <c>Count</c> throws), which made the
    /// <c>imeieir.grace.pending</c> gauge fail on every scrape.
    /// </remarks>
    public int Pending => Volatile.Read(ref _pending);

    public long FirstSeen(long imei, SubscriberKey subscriber, long nowTicks)
    {
        if (_local.TryGet(imei, subscriber, out var known))
        {
            return known;
        }

        var first = _local.FirstSeen(imei, subscriber, nowTicks);
        if (first == nowTicks)
        {
            Enqueue((imei, subscriber, first));
        }

        return first;
    }

    public IReadOnlyList<long> ImeisSeenWith(SubscriberKey subscriber, long sinceTicks) => _local.ImeisSeenWith(subscriber, sinceTicks);

    public void Remove(long imei, SubscriberKey subscriber) => _local.Remove(imei, subscriber);

    /// <summary>Hears the marks other nodes merge (<c>grace-events</c>).</summary>
    public Task SubscribeAsync(RedisStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Connection.Subscriber.SubscribeAsync(store.Keys.GraceEvents, (_, message) => OnPublished(message.ToString()));
    }

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
    public async Task HydrateAsync(GraceMarkStore store, CancellationToken ct)
    {
        var n = 0;
        // Redis may hold marks past the retention (the subscriber's hash expires as a whole): those are not loaded.
        var oldest = _time.GetUtcNow().UtcTicks - _policy.GraceMarkRetention.Ticks;
        await foreach (var (imei, sub, ticks) in store.ReadAllGraceMarksAsync().WithCancellation(ct).ConfigureAwait(false))
        {
            if (ticks < oldest)
            {
                continue;
            }

            _local.Merge(imei, sub, ticks);
            n++;
        }

        foreach (var mark in _local.All())
        {
            Enqueue(mark);
        }

        Log.GraceMarksLoaded(_log, n);
    }

    /// <summary>Merges queued marks into Redis until cancelled, retrying while Redis is away.</summary>
    public async Task PumpAsync(GraceMarkStore store, CancellationToken ct)
    {
        var retention = _policy.GraceMarkRetention;
        var nextPrune = _time.GetUtcNow();
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
                    Interlocked.Decrement(ref _pending);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.GraceMergeFailed(_log, StorageErrors.ForLog(ex));
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                }
            }

            var now = _time.GetUtcNow();
            if (now >= nextPrune)
            {
                _local.Prune(now.UtcTicks - retention.Ticks);
                nextPrune = now.AddMinutes(10);
            }
        }
    }

    private void Enqueue((long Imei, SubscriberKey Subscriber, long Ticks) mark)
    {
        Interlocked.Increment(ref _pending);
        if (!_outbox.Writer.TryWrite(mark))
        {
            Interlocked.Decrement(ref _pending);
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
