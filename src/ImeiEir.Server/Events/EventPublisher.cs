using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Storage;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// The node's background publisher: drains the check path's queue, builds each event (the subscriber map is read
/// here, not on the check path) and hands it to Redis, where one script decides exactly once across the cluster and
/// appends: up to 256 waiting observations go out together, as one script over the batch (one round trip, one
/// invocation, one fsync). Clone candidates are counted in Redis (pipelined) and raise <c>clone_suspected</c> above
/// the threshold. While Redis is away the current batch is retried and the queue
/// fills, then drops (counted).
/// </summary>
internal sealed class EventPublisher(
    EventQueue queue,
    EventStore store,
    EventFactory factory,
    EirIndex index,
    EventWindows windows,
    EventsOptions options,
    EventsMetrics metrics,
    TimeProvider time,
    ILogger<EventPublisher> log) : BackgroundService
{
    private const int MaxBatch = 256;

    /// <summary>
    /// A batch that was not full is followed by the next one no sooner than this after it began: at a steady trickle
    /// the publisher would otherwise wake and run a script (a round trip, an fsync under <c>appendfsync always</c>, a
    /// pool thread woken) for every event or two. Adds at most this to an event's way to subscribers (issue 13: p99
    /// ≤ 1 s).
    /// </summary>
    public static readonly TimeSpan MinBatchInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private long _processed;

    /// <summary>Observations handled (raised or found to be repeats) since start.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Observation>(MaxBatch);
        var reader = queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                var began = time.GetTimestamp();
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var o))
                {
                    batch.Add(o);
                }

                while (true)
                {
                    try
                    {
                        await PublishAsync(batch).ConfigureAwait(false);
                        Interlocked.Add(ref _processed, batch.Count);
                        break;
                    }
                    catch (Exception ex) when (ex is RedisException or StoreUnavailableException or TimeoutException)
                    {
                        // The whole batch again: an event already raised is found recorded and counted as a repeat.
                        metrics.Failed();
                        EventsLog.PublishFailed(log, StorageErrors.ForLog(ex), RetryDelay);
                        await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
                    }
                }

                var rest = MinBatchInterval - time.GetElapsedTime(began);
                if (batch.Count < MaxBatch && rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes one observation (tests call it directly).</summary>
    public async Task<string?> PublishAsync(Observation o) => (await PublishAsync([o]).ConfigureAwait(false))[0];

    /// <summary>
    /// Publishes a batch: the events in one raise script, the clone candidates' counts pipelined beside it. Returns
    /// each observation's event id, null when it raised nothing (a repeat, or a candidate under the threshold).
    /// </summary>
    public async Task<string?[]> PublishAsync(IReadOnlyList<Observation> batch)
    {
        var view = index.Current;
        var ids = new string?[batch.Count];
        var raises = new List<EventRaise>(batch.Count);
        var raised = new List<int>(batch.Count);
        List<Task>? clones = null;
        for (var i = 0; i < batch.Count; i++)
        {
            var o = batch[i];
            if (o.Kind == EventKind.CloneSuspected)
            {
                (clones ??= []).Add(CloneAsync(o, view, ids, i));
                continue;
            }

            var (e, subscriber) = factory.Create(in o, view);
            long warningDue = 0;
            var member = "";
            if (o.Kind == EventKind.GraceStarted && e.GraceExpiresMs != 0)
            {
                warningDue = e.GraceExpiresMs - (long)options.GraceWarningBefore.TotalMilliseconds;
                member = GraceWarning.Member(e, subscriber);
            }

            raises.Add(new EventRaise(e, subscriber, TimeSpan.FromTicks(windows.Ticks(o.Kind)), warningDue, member));
            raised.Add(i);
        }

        // Sent together: the clone counts go out pipelined on the store's connection beside the one raise script.
        var events = store.RaiseAsync(raises, options.Retention);
        await Task.WhenAll(clones is null ? [events] : [events, .. clones]).ConfigureAwait(false);
        var eventIds = await events.ConfigureAwait(false);
        for (var j = 0; j < eventIds.Length; j++)
        {
            ids[raised[j]] = eventIds[j];
            Count(raises[j].Event.Kind, eventIds[j]);
        }

        return ids;
    }

    private async Task CloneAsync(Observation o, EirView view, string?[] ids, int i)
    {
        var threshold = options.CloneThreshold;
        // A device bound to as many numbers as the threshold is shared on purpose, not cloned (reported nowhere).
        if (threshold == 0 || o.Imei == 0 || view.GetBindings(o.Imei).Count >= threshold)
        {
            return;
        }

        var count = await store.CountImsisAsync(o.Imei, ImsiSightings.HalfDayOf(o.TimeTicks), o.OtherImsiKey, o.ImsiKey).ConfigureAwait(false);
        if (count <= threshold)
        {
            return;
        }

        var (e, _) = factory.Create(o with { Via = null }, view);
        await store.NoteCloneAsync(e.Imei, count, e.TimeMs).ConfigureAwait(false);
        var id = await store.RaiseAsync(e, 0, TimeSpan.FromTicks(windows.Ticks(EventKind.CloneSuspected)), options.Retention).ConfigureAwait(false);
        Count(EventKind.CloneSuspected, id);
        ids[i] = id;
    }

    private void Count(EventKind kind, string? id)
    {
        if (id is null)
        {
            metrics.Repeat(kind);
        }
        else
        {
            metrics.Raised(kind);
        }
    }
}
