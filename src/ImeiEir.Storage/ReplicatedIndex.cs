using System.Threading.Channels;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>What became of one batch.</summary>
public enum BatchStatus
{
    Accepted,
    Duplicate,
    /// <summary>Invalid content: <see cref="BatchOutcome.Errors"/> lists every bad delta; nothing applied.</summary>
    Rejected,
    /// <summary>The batch id was used before for other content; nothing applied.</summary>
    IdReused,
    /// <summary>Redis cannot be reached or the node is not loaded; nothing applied, retry later.</summary>
    Unavailable,
    /// <summary>Redis' history is not the node's (emptied, restored from an older copy): sync refused.</summary>
    Refused,
}

public sealed record BatchOutcome(BatchStatus Status, long Sequence, IReadOnlyList<DeltaError> Errors, string Error, IReadOnlyList<long> SwitchedImeis)
{
    public static BatchOutcome Fail(BatchStatus status, string error) => new(status, 0, [], error, []);
}

/// <summary>
/// Keeps this node's <see cref="EirIndex"/> equal to Redis: hydrates it at start (newest checkpoint, then the log),
/// follows the log (a pub/sub nudge, with polling as the fallback), commits batches (plan against the current
/// view, commit atomically in Redis, apply locally, then ack), and writes checkpoints. One writer at a time on a
/// node; across nodes the commit script's sequence check orders writers.
/// </summary>
public sealed partial class ReplicatedIndex : IHostedService, IAsyncDisposable, IAutoWhitelistSink
{
    private readonly EirIndex _index;
    private readonly RedisStore _store;
    private readonly ClusterGraceMarks _marks;
    private readonly BatchPlanner _planner;
    private readonly RedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<BindDelta> _autoBindings = Channel.CreateBounded<BindDelta>(new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly string _nodeName = Environment.MachineName + "-" + Environment.ProcessId;
    private Task? _run;
    private string? _epoch;
    private volatile string? _divergence;
    private long _mutationsSinceCheckpoint;
    private DateTimeOffset _lastCheckpointAttempt;
    private long _storeSequence;
    private int _disposed;
    private const int OwnCommitsKept = 16;
    private readonly Dictionary<long, BatchPlan> _ownCommits = [];
    private long _prefetchHits;
    private long _prefetchMisses;

    public ReplicatedIndex(EirIndex index, RedisStore store, ClusterGraceMarks marks, PolicyOptions policy, RedisOptions options, TimeProvider time, ILogger<ReplicatedIndex> log)
    {
        _index = index;
        _store = store;
        _marks = marks;
        _planner = new BatchPlanner(policy);
        _options = options;
        _time = time;
        _log = log;
    }

    public EirIndex Index => _index;

    public bool IsLoaded => _index.IsLoaded;

    public bool RedisConnected => _store.IsConnected;

    /// <summary>Why sync is refused (Redis emptied or older than this node), or null.</summary>
    public string? Divergence => _divergence;

    /// <summary>The newest sequence seen in Redis; minus the index sequence it is this node's lag.</summary>
    public long StoreSequence => Math.Max(Interlocked.Read(ref _storeSequence), _index.Current.Sequence);

    public RedisStore Store => _store;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitForRunAsync(cancellationToken).ConfigureAwait(false);
    }

    // A Redis call in flight may take its whole timeout to fail; shutdown does not wait for it.
    private async Task WaitForRunAsync(CancellationToken cancellationToken)
    {
        if (_run is null)
        {
            return;
        }

        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or RedisException or StoreUnavailableException)
        {
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _store.ConnectAsync().ConfigureAwait(false);
                await HydrateAsync(ct).ConfigureAwait(false);
                break;
            }
            catch (Exception ex)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                Log.HydrationFailed(_log, StorageErrors.ForLog(ex));
                await Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }

        if (ct.IsCancellationRequested)
        {
            return;
        }

        try
        {
            var sub = _store.Subscriber;
            await sub.SubscribeAsync(_store.ChangeChannel, (_, _) => _wake.Release()).ConfigureAwait(false);
            await sub.SubscribeAsync(_store.GraceChannel, (_, message) => _marks.OnPublished(message.ToString())).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // StackExchange.Redis re-subscribes on reconnect; until then polling keeps the node current.
            Log.SubscribeFailed(_log, StorageErrors.ForLog(ex));
        }

        var pump = Task.Run(() => _marks.PumpAsync(_store, ct), CancellationToken.None);
        var auto = Task.Run(() => AutoBindLoopAsync(ct), CancellationToken.None);
        var pipeline = Task.Run(() => PipelineLoopAsync(ct), CancellationToken.None);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_options.FollowPollInterval, ct).ConfigureAwait(false);
                await _gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    await CatchUpAsync().ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }

                await MaybeCheckpointAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Log.FollowFailed(_log, StorageErrors.ForLog(ex));
                await Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(pump, auto, pipeline).ConfigureAwait(false);
    }

    private async Task HydrateAsync(CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var head = await _store.GetHeadAsync().ConfigureAwait(false);
        _epoch = head.Epoch ?? await _store.InitializeEpochAsync().ConfigureAwait(false);
        var checkpoint = await _store.LoadCheckpointAsync().ConfigureAwait(false);
        if (checkpoint is { } c)
        {
            _index.Replace(c.Snapshot, c.Sequence, null, markLoaded: false);
        }
        else
        {
            _index.Replace(EirSnapshot.Empty, 0, null, markLoaded: false);
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await CatchUpAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        await _marks.HydrateAsync(_store, ct).ConfigureAwait(false);
        _index.MarkLoaded();
        var view = _index.Current;
        Log.Hydrated(_log, view.Sequence, view.Counts.RegisteredImeis, view.Counts.Bindings, view.Counts.Subscribers, _time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Applies every log entry after the index sequence. Caller holds the gate.</summary>
    private async Task CatchUpAsync()
    {
        while (true)
        {
            var local = _index.Current.Sequence;
            var entries = await _store.ReadLogAsync(local, 1000).ConfigureAwait(false);
            if (entries.Count == 0)
            {
                var head = await _store.GetHeadAsync().ConfigureAwait(false);
                Interlocked.Exchange(ref _storeSequence, head.Sequence);
                CheckHistory(head, local);
                return;
            }

            if (entries[0].Sequence != local + 1)
            {
                // The log was trimmed past us: jump to the newest checkpoint, then continue from there.
                var checkpoint = await _store.LoadCheckpointAsync().ConfigureAwait(false);
                if (checkpoint is not { } c || c.Sequence < local || c.Sequence + 1 < entries[0].Sequence)
                {
                    Diverge($"the Redis log starts at {entries[0].Sequence} and no checkpoint covers sequences after {local}");
                    return;
                }

                _index.Replace(c.Snapshot, c.Sequence, null, markLoaded: false);
                Log.ReloadedCheckpoint(_log, c.Sequence);
                continue;
            }

            foreach (var e in entries)
            {
                _index.Apply(e.Sequence, e.Mutations, new DateTimeOffset(e.AppliedAtTicks, TimeSpan.Zero));
                _mutationsSinceCheckpoint += e.Mutations.Length;
            }

            Interlocked.Exchange(ref _storeSequence, Math.Max(Interlocked.Read(ref _storeSequence), entries[^1].Sequence));
        }
    }

    private void CheckHistory(StoreHead head, long local)
    {
        if (head.Epoch is null || head.Epoch != _epoch)
        {
            Diverge(head.Epoch is null
                ? $"Redis has no history (emptied or replaced?) while this node is at sequence {local}"
                : "Redis holds another cluster's history (epoch changed)");
        }
        else if (head.Sequence < local)
        {
            Diverge($"Redis is at sequence {head.Sequence}, behind this node's {local} (restored from an older copy?)");
        }
        else if (_divergence is not null)
        {
            _divergence = null;
            Log.HistoryRecovered(_log, head.Sequence);
        }
    }

    private void Diverge(string reason)
    {
        _divergence = reason;
        Log.HistoryDiverged(_log, reason);
    }

    /// <summary>
    /// Reads whether the batch id is known and the device records the batch needs, without waiting for the writer's
    /// turn: a stream calls it for batch N+1 while batch N commits (a read sent after N's commit would wait behind
    /// it in Redis). Null when the read failed (planning reads them then).
    /// </summary>
    public async Task<PrefetchedDevices?> PrefetchAsync(string batchId, IReadOnlyList<RegistryDelta> deltas)
    {
        if (!_index.IsLoaded || _divergence is not null)
        {
            return null;
        }

        try
        {
            return await _store.PrefetchDevicesAsync(batchId, deltas, _index.Current).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or StoreUnavailableException or TimeoutException)
        {
            return null;
        }
    }

    // Caller holds the gate. Records read at store sequence P, with owners chosen by the view of sequence V ≤ P,
    // are brought to the planning view's sequence S ≥ P by replaying, in order, the device changes of every commit
    // in (V, S] — possible when all of them were this node's own (remembered), which is the case while one
    // stream syncs. Changes already in the read are replayed again harmlessly (each key ends as its last change
    // left it). Anything else — another node's commit in between, a read across two sequences — reads again.
    private async Task<IDeviceDirectory> DevicesForAsync(IReadOnlyList<RegistryDelta> deltas, EirView view, Task<PrefetchedDevices?>? prefetched)
    {
        var early = prefetched is null ? null : await prefetched.ConfigureAwait(false);
        if (early is not null && early.Sequence >= early.ViewSequence && early.Sequence <= view.Sequence)
        {
            var covered = true;
            for (var seq = early.ViewSequence + 1; seq <= view.Sequence && covered; seq++)
            {
                covered = _ownCommits.ContainsKey(seq);
            }

            if (covered)
            {
                for (var seq = early.ViewSequence + 1; seq <= view.Sequence; seq++)
                {
                    early.Directory.Apply(_ownCommits[seq]);
                }

                Interlocked.Increment(ref _prefetchHits);
                return early.Directory;
            }
        }

        Interlocked.Increment(ref _prefetchMisses);
        return (await _store.PrefetchDevicesAsync("", deltas, view).ConfigureAwait(false)).Directory;
    }

    /// <summary>Batches planned on records read ahead of their turn, and those that had to read them again (diagnostics).</summary>
    public (long Hits, long Misses) PrefetchStats => (Interlocked.Read(ref _prefetchHits), Interlocked.Read(ref _prefetchMisses));

    // The plans (for their device changes) of this node's latest commits, by sequence (under the gate).
    private void RememberOwnCommit(long sequence, BatchPlan plan)
    {
        _ownCommits[sequence] = plan;
        _ownCommits.Remove(sequence - OwnCommitsKept);
    }

    /// <summary>Self-service NUMBER SWITCH as one sequence. Errors come back as <see cref="BatchStatus.Rejected"/>.</summary>
    public Task<BatchOutcome> SwitchNumberAsync(SwitchNumberDelta delta, CancellationToken ct)
        => EnqueueAsync(
            "switch-" + Guid.NewGuid().ToString("N"),
            "switch",
            view => Task.FromResult(_planner.PlanSwitch(delta, view, _marks, _time.GetUtcNow().UtcTicks)),
            prefetched: null,
            ct);

    private async Task<BatchOutcome> DuplicateAsync(string batchId, string contentHash, long sequence, string storedHash)
    {
        if (storedHash != contentHash)
        {
            return BatchOutcome.Fail(BatchStatus.IdReused, $"batch_id '{batchId}' was already accepted (sequence {sequence}) with different content");
        }

        // The original may still be on its way here from the log; and a retry after a replica shortfall must not
        // be acked before the replicas have it either.
        await CatchUpAsync().ConfigureAwait(false);
        var replicas = await _store.WaitForReplicasAsync().ConfigureAwait(false);
        if (replicas < _options.AckReplicas)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable,
                $"sequence {sequence} is in the Redis primary but only {replicas} of {_options.AckReplicas} replicas confirmed; retry with the same batch_id");
        }

        return new BatchOutcome(BatchStatus.Duplicate, sequence, [], "", []);
    }

    private static bool NeedsDevices(IReadOnlyList<RegistryDelta> deltas)
    {
        foreach (var d in deltas)
        {
            if (d is RegisterDeviceDelta or UnregisterDeviceDelta)
            {
                return true;
            }
        }

        return false;
    }

    private async Task MaybeCheckpointAsync()
    {
        var now = _time.GetUtcNow();
        if (_mutationsSinceCheckpoint < _options.CheckpointEveryMutations || now - _lastCheckpointAttempt < _options.CheckpointMinInterval)
        {
            return;
        }

        _lastCheckpointAttempt = now;
        await WriteCheckpointAsync().ConfigureAwait(false);
    }

    /// <summary>Compacts the index and writes it to Redis as the newest checkpoint (if no other node is doing so).</summary>
    public async Task<bool> WriteCheckpointAsync()
    {
        // Compacting needs the writer's turn: during a sync burst the index holds staged views.
        EirView view;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            view = _index.Compact();
        }
        finally
        {
            _gate.Release();
        }

        var written = await _store.WriteCheckpointAsync(view.Snapshot, view.Sequence, _nodeName).ConfigureAwait(false);
        if (written)
        {
            _mutationsSinceCheckpoint = 0;
            Log.CheckpointWritten(_log, view.Sequence);
        }

        return written;
    }

    /// <summary>Amnesty window: queue the binding; a background loop commits them in batches.</summary>
    public void Bind(long imei, long msisdn, long imsiKey)
    {
        var imsi = imsiKey == 0 ? "" : new Core.Identifiers.Imsi(imsiKey).ToString();
        _autoBindings.Writer.TryWrite(new BindDelta(new Core.Identifiers.ImeiKey(imei).ToString(), msisdn.ToString(System.Globalization.CultureInfo.InvariantCulture), imsi));
    }

    private async Task AutoBindLoopAsync(CancellationToken ct)
    {
        var batch = new List<RegistryDelta>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                batch.Add(await _autoBindings.Reader.ReadAsync(ct).ConfigureAwait(false));
                while (batch.Count < 1000 && _autoBindings.Reader.TryRead(out var more))
                {
                    batch.Add(more);
                }

                // An auto binding without an MSISDN cannot be a registry Bind; it is dropped with a log line.
                var valid = batch.Where(b => b is BindDelta { Msisdn: not "0" }).ToList();
                if (valid.Count < batch.Count)
                {
                    Log.AutoBindWithoutMsisdn(_log, batch.Count - valid.Count);
                }

                if (valid.Count > 0)
                {
                    var outcome = await ApplyBatchAsync("auto-" + Guid.NewGuid().ToString("N"), "auto", valid, ct).ConfigureAwait(false);
                    if (outcome.Status is not (BatchStatus.Accepted or BatchStatus.Duplicate))
                    {
                        Log.AutoBindFailed(_log, outcome.Error + string.Join("; ", outcome.Errors.Select(e => e.Message)));
                        if (outcome.Status == BatchStatus.Unavailable)
                        {
                            await Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                            continue;
                        }
                    }
                }

                batch.Clear();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as a singleton and as a hosted service: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        // The gate, wake and stop sources are not disposed: a background Redis call that outlived the wait may
        // still touch them, and they hold no unmanaged state.
        await WaitForRunAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Index loaded from Redis at sequence {Sequence}: {Registered} registered IMEIs, {Bindings} bindings, {Subscribers} subscribers in {Milliseconds:F0} ms")]
        public static partial void Hydrated(ILogger logger, long sequence, long registered, long bindings, long subscribers, double milliseconds);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Could not load the index from Redis yet, retrying: {Error}")]
        public static partial void HydrationFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Following the Redis log failed, retrying: {Error}")]
        public static partial void FollowFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Critical, Message = "SYNC REFUSED: {Reason}. This node keeps serving the data it has and refuses every write until an operator restores Redis.")]
        public static partial void HistoryDiverged(ILogger logger, string reason);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Redis history matches again at sequence {Sequence}; sync resumed")]
        public static partial void HistoryRecovered(ILogger logger, long sequence);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "A batch could not be committed (storage unavailable): {Error}")]
        public static partial void CommitFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Checkpoint written at sequence {Sequence}")]
        public static partial void CheckpointWritten(ILogger logger, long sequence);

        [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Fell behind the trimmed log; reloaded checkpoint {Sequence}")]
        public static partial void ReloadedCheckpoint(ILogger logger, long sequence);

        [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Subscribing to Redis change notifications failed (polling continues): {Error}")]
        public static partial void SubscribeFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Amnesty bindings could not be committed: {Error}")]
        public static partial void AutoBindFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "The sync pipeline failed; the batches in flight were answered UNAVAILABLE: {Error}\n{Stack}")]
        public static partial void PipelineFailed(ILogger logger, string error, string stack);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "{Count} amnesty check(s) had no MSISDN (unmapped IMSI only): allowed, not bound")]
        public static partial void AutoBindWithoutMsisdn(ILogger logger, int count);
    }
}
