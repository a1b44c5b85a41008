using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Storage;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// The node's background publisher: drains the check path's queue, builds each event (the subscriber map is read
/// here, not on the check path) and hands it to Redis, where one script decides exactly once across the cluster and
/// appends; up to 256 waiting observations go out together (pipelined). Clone candidates are counted in Redis and
/// raise <c>clone_suspected</c> above the threshold. While Redis is away the current batch is retried and the queue
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
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var o))
                {
                    batch.Add(o);
                }

                while (true)
                {
                    try
                    {
                        // Sent together: the scripts go out pipelined on the store's connection and Redis runs them in
                        // order, so one fsync (appendfsync always) or one round trip serves the batch, not each event.
                        await Task.WhenAll(batch.Select(PublishAsync)).ConfigureAwait(false);
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
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes one observation (tests call it directly).</summary>
    public async Task<string?> PublishAsync(Observation o)
    {
        var view = index.Current;
        if (o.Kind == EventKind.CloneSuspected)
        {
            return await CloneAsync(o, view).ConfigureAwait(false);
        }

        var (e, subscriber) = factory.Create(in o, view);
        long warningDue = 0;
        var member = "";
        if (o.Kind == EventKind.GraceStarted && e.GraceExpiresMs != 0)
        {
            warningDue = e.GraceExpiresMs - (long)options.GraceWarningBefore.TotalMilliseconds;
            member = GraceWarning.Member(e, subscriber);
        }

        var id = await store.RaiseAsync(e, subscriber, TimeSpan.FromTicks(windows.Ticks(o.Kind)), options.Retention, warningDue, member).ConfigureAwait(false);
        Count(o.Kind, id);
        return id;
    }

    private async Task<string?> CloneAsync(Observation o, EirView view)
    {
        var threshold = options.CloneThreshold;
        // A device bound to as many numbers as the threshold is shared on purpose, not cloned (reported nowhere).
        if (threshold == 0 || o.Imei == 0 || view.GetBindings(o.Imei).Count >= threshold)
        {
            return null;
        }

        var count = await store.CountImsisAsync(o.Imei, ImsiSightings.HalfDayOf(o.TimeTicks), o.OtherImsiKey, o.ImsiKey).ConfigureAwait(false);
        if (count <= threshold)
        {
            return null;
        }

        var (e, _) = factory.Create(o with { Via = null }, view);
        await store.NoteCloneAsync(e.Imei, count, e.TimeMs).ConfigureAwait(false);
        var id = await store.RaiseAsync(e, 0, TimeSpan.FromTicks(windows.Ticks(EventKind.CloneSuspected)), options.Retention).ConfigureAwait(false);
        Count(EventKind.CloneSuspected, id);
        return id;
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
