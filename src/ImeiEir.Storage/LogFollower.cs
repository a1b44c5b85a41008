using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Keeps the node's index equal to Redis' history. Hydrates it at start (the newest checkpoint, then the log after it,
/// then the grace marks), then follows: a change notification (<c>events</c>) or a poll every
/// <c>Redis:FollowPollInterval</c> makes it apply the log entries after its sequence. A log trimmed past the node makes
/// it reload the newest checkpoint; a history that is not the node's (epoch missing or changed, sequence behind it)
/// refuses sync (<see cref="SyncRefusal"/>).
/// </summary>
public sealed partial class LogFollower
{
    private const int EntriesPerRead = 1000;

    // Following reads fewer entries at once: each read must arrive within Redis:ReplyTimeout.
    private const int EntriesPerFollowRead = 100;

    private readonly EirIndex _index;
    private readonly DeviceDirectory _devices;
    private readonly RedisStore _store;
    private readonly WriterTurn _turn;
    private readonly WriterThread _thread;
    private readonly SyncRefusal _refusal;
    private readonly Checkpointer _checkpointer;
    private readonly ClusterGraceMarks _marks;
    private readonly RedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly TaskCompletionSource _directoryLoaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _epoch;
    private long _storeSequence;

    public LogFollower(EirIndex index, DeviceDirectory devices, RedisStore store, WriterTurn turn, WriterThread thread, SyncRefusal refusal, Checkpointer checkpointer, ClusterGraceMarks marks, RedisOptions options, TimeProvider time, ILogger<LogFollower> log)
    {
        _index = index;
        _devices = devices;
        _store = store;
        _turn = turn;
        _thread = thread;
        _refusal = refusal;
        _checkpointer = checkpointer;
        _marks = marks;
        _options = options;
        _time = time;
        _log = log;
    }

    /// <summary>The epoch of the history this node holds (known once hydrated).</summary>
    public string Epoch => _epoch ?? throw new InvalidOperationException("The node has not loaded its data yet.");

    /// <summary>The newest sequence seen in Redis; minus the index sequence it is this node's lag.</summary>
    public long StoreSequence => Math.Max(Interlocked.Read(ref _storeSequence), _index.Current.Sequence);

    /// <summary>
    /// Loads the newest checkpoint's index, the log after it and the grace marks; then the index serves. The checkpoint's
    /// device directory is parsed after that and put in place, with the log's device changes after it,
    /// under the writer's turn held from before the log was read: checks never read the directory, so they do not wait
    /// for it, while following, commits and checkpoints (which take the turn) do. <see cref="DirectoryLoaded"/> completes
    /// then.
    /// </summary>
    public async Task HydrateAsync(CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var head = await _store.Log.GetHeadAsync().ConfigureAwait(false);
        _epoch = head.Epoch ?? await _store.Log.InitializeEpochAsync().ConfigureAwait(false);
        // The directory is parsed once the node serves: parsed beside the log and the grace marks, it took the cores they
        // needed (grace marks 0.25 -> 1.3 s at 2 M records).
        var checkpoint = await _store.Checkpoints.StartLoadingCheckpointAsync(parseDirectoryNow: false).ConfigureAwait(false);
        _index.Replace(checkpoint?.Snapshot ?? EirSnapshot.Empty, checkpoint?.Sequence ?? 0, null, markLoaded: false);
        _devices.Clear();
        var later = new DirectoryLater(checkpoint?.ParseDevices);

        var loaded = _time.GetTimestamp();
        var turn = await _turn.TakeAsync(ct).ConfigureAwait(false);
        try
        {
            await CatchUpAsync(bounded: false, later).ConfigureAwait(false);
            var caughtUp = _time.GetTimestamp();
            await _marks.HydrateAsync(_store.GraceMarks, ct).ConfigureAwait(false);
            var marked = _time.GetTimestamp();
            // The checkpoint's chunks and the log entries read are garbage now, hundreds of MB at national scale: one
            // compacting collection gives them back before the node serves (no check waits for it).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _index.MarkLoaded();
            var view = _index.Current;
            Log.Hydrated(_log, view.Sequence, view.Counts.RegisteredImeis, view.Counts.Bindings, view.Counts.Subscribers, _time.GetElapsedTime(started).TotalMilliseconds);
            Log.HydrationSteps(
                _log,
                _time.GetElapsedTime(started, loaded).TotalMilliseconds,
                checkpoint?.ReadMilliseconds ?? 0,
                checkpoint?.IndexMilliseconds ?? 0,
                _time.GetElapsedTime(loaded, caughtUp).TotalMilliseconds,
                _time.GetElapsedTime(caughtUp, marked).TotalMilliseconds,
                _time.GetElapsedTime(marked).TotalMilliseconds);
        }
        catch
        {
            turn.Dispose();
            throw;
        }

        _ = PutDirectoryInPlaceAsync(later, turn, started);
    }

    /// <summary>Completes once the device directory hydration started is in place (at once when there was none to load).</summary>
    public Task DirectoryLoaded => _directoryLoaded.Task;

    /// <summary>Tests: awaited after the index serves and before the directory is put in place (holds that window open).</summary>
    internal Func<Task>? BeforeDirectoryInPlace { get; set; }

    // Holds the turn taken at hydration until the checkpoint's directory and the log's device changes after it are in.
    // A directory that cannot be read leaves the turn held and sync refused: the node keeps answering checks at the
    // sequence it hydrated, neither follows nor commits (the lag and imeieir_sync_refused say so), and a restart, once
    // the checkpoint is rewritten or removed, loads it again.
    private async Task PutDirectoryInPlaceAsync(DirectoryLater later, WriterTurn.Held turn, long started)
    {
        var release = true;
        try
        {
            if (BeforeDirectoryInPlace is { } gate)
            {
                await gate().ConfigureAwait(false);
            }

            if (later.Pending is not null)
            {
                // The checkpoint's chunks and the parse's temporaries are garbage after this (large objects a
                // background collection frees but never compacts): WriteBurstHeapTrim compacts them once the index has
                // been quiet for HeapTrim:AfterQuiet after DirectoryLoaded (a restarted node held 1.7× the memory
                // without a compaction here).
                var (milliseconds, entries) = await PlaceDirectoryAsync(later).ConfigureAwait(false);
                Log.DirectoryInPlace(_log, _devices.Count, milliseconds, entries, _time.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (Exception ex)
        {
            release = false;
            _refusal.Refuse("the checkpoint's device directory could not be read; restart the node once the checkpoint is rewritten");
            Log.DirectoryUnreadable(_log, StorageErrors.ForLog(ex));
        }
        finally
        {
            if (release)
            {
                turn.Dispose();
                _directoryLoaded.TrySetResult();
            }
        }
    }

    // Parses the checkpoint's directory, puts it in place, applies the log's device changes after it, and lets go of
    // the chunks (a method of its own, so nothing of the parse stays reachable from the caller's state).
    private async Task<(double Milliseconds, int Entries)> PlaceDirectoryAsync(DirectoryLater later)
    {
        var (devices, milliseconds) = await later.Pending!().ConfigureAwait(false);
        LoadDevices(devices);
        foreach (var changes in later.Changes)
        {
            _devices.Apply(changes.Removed, changes.Added);
        }

        var entries = later.Changes.Count;
        later.Drop();
        return (milliseconds, entries);
    }

    /// <summary>Subscribes to change notifications (each wakes <see cref="FollowOnceAsync"/>).</summary>
    public Task SubscribeAsync()
        => _store.Connection.Subscriber.SubscribeAsync(_store.Keys.Changes, (_, _) => _wake.Release());

    /// <summary>Waits for a change notification or the poll interval, then applies what the log holds after the index.</summary>
    public async Task FollowOnceAsync(CancellationToken ct)
    {
        await _wake.WaitAsync(_options.FollowPollInterval, ct).ConfigureAwait(false);
        using (await _turn.TakeAsync(ct).ConfigureAwait(false))
        {
            await CatchUpAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Applies every log entry after the index sequence, each read answered within <see cref="RedisOptions.ReplyTimeout"/>
    /// (else <see cref="TimeoutException"/>, nothing applied from that read): the writer's turn is not held longer on a
    /// primary that stopped answering. The caller holds the writer's turn.
    /// </summary>
    public Task CatchUpAsync() => CatchUpAsync(bounded: true, later: null);

    // Unbounded at hydration: the whole log after the checkpoint, in large reads, before the node serves at all; its
    // device changes then wait in `later` while the checkpoint's directory is still being parsed.
    private async Task CatchUpAsync(bool bounded, DirectoryLater? later)
    {
        var timeout = bounded ? _options.ReplyTimeout : Timeout.InfiniteTimeSpan;
        while (true)
        {
            var local = _index.Current.Sequence;
            var entries = await _store.Log.ReadLogAsync(local, bounded ? EntriesPerFollowRead : EntriesPerRead).WaitAsync(timeout).ConfigureAwait(false);
            if (entries.Count == 0)
            {
                var head = await _store.Log.GetHeadAsync().WaitAsync(timeout).ConfigureAwait(false);
                Interlocked.Exchange(ref _storeSequence, head.Sequence);
                CheckHistory(head, local);
                return;
            }

            if (entries[0].Sequence != local + 1)
            {
                // The log was trimmed past us: jump to the newest checkpoint, then continue from there.
                var checkpoint = await _store.Checkpoints.LoadCheckpointAsync().ConfigureAwait(false);
                if (checkpoint is not { } c || c.Sequence < local || c.Sequence + 1 < entries[0].Sequence)
                {
                    _refusal.Refuse($"the Redis log starts at {entries[0].Sequence} and no checkpoint covers sequences after {local}");
                    return;
                }

                _index.Replace(c.Snapshot, c.Sequence, null, markLoaded: false);
                LoadDevices(c.Devices);
                later?.Drop(); // the reloaded directory replaces the one still being parsed
                Log.ReloadedCheckpoint(_log, c.Sequence);
                continue;
            }

            await _thread.Run(() =>
            {
                foreach (var e in entries)
                {
                    _index.Apply(e.Sequence, e.Mutations, new DateTimeOffset(e.AppliedAtTicks, TimeSpan.Zero));
                    if (later?.Pending is not null)
                    {
                        later.Changes.Add(e.Devices);
                    }
                    else
                    {
                        _devices.Apply(e.Devices.Removed, e.Devices.Added);
                    }

                    _checkpointer.Count(e.Mutations.Length);
                }
            }).ConfigureAwait(false);

            Interlocked.Exchange(ref _storeSequence, Math.Max(Interlocked.Read(ref _storeSequence), entries[^1].Sequence));
        }
    }

    // A checkpoint written before the directory left Redis has none: the node starts with an empty one (README.md,
    // "Upgrading": such a checkpoint must be replaced before devices are changed again).
    private void LoadDevices(DeviceDirectory? devices)
    {
        if (devices is null)
        {
            _devices.Clear();
            Log.CheckpointWithoutDevices(_log);
            return;
        }

        _devices.ReplaceWith(devices);
    }

    private void CheckHistory(StoreHead head, long local)
    {
        if (head.Epoch is null || head.Epoch != _epoch)
        {
            _refusal.Refuse(head.Epoch is null
                ? $"Redis has no history (emptied or replaced?) while this node is at sequence {local}"
                : "Redis holds another cluster's history (epoch changed)");
        }
        else if (head.Sequence < local)
        {
            _refusal.Refuse($"Redis is at sequence {head.Sequence}, behind this node's {local} (restored from an older copy?)");
        }
        else
        {
            _refusal.Clear(head.Sequence);
        }
    }

    // The checkpoint's device directory, not parsed yet, and the log's device changes that go on top of it.
    private sealed class DirectoryLater(Func<Task<(DeviceDirectory? Value, double Milliseconds)>>? pending)
    {
        public Func<Task<(DeviceDirectory? Value, double Milliseconds)>>? Pending { get; private set; } = pending;

        public List<DeviceChanges> Changes { get; } = [];

        public void Drop()
        {
            Pending = null;
            Changes.Clear();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Index loaded from Redis at sequence {Sequence}: {Registered} registered IMEIs, {Bindings} bindings, {Subscribers} subscribers in {Milliseconds:F0} ms")]
        public static partial void Hydrated(ILogger logger, long sequence, long registered, long bindings, long subscribers, double milliseconds);

        [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Hydration steps: checkpoint {Checkpoint:F0} ms (chunks read {Read:F0} ms, index parsed {Index:F0} ms; its device directory is parsed once the node serves), log after it {Log:F0} ms, grace marks {Marks:F0} ms, collection {Collection:F0} ms")]
        public static partial void HydrationSteps(ILogger logger, double checkpoint, double read, double index, double log, double marks, double collection);

        [LoggerMessage(EventId = 2016, Level = LogLevel.Information, Message = "Device directory in place: {Devices} devices (parsed in {Parsed:F0} ms), then the device changes of {Entries} log entries; {Milliseconds:F0} ms after hydration began (writes and following waited for it, checks did not)")]
        public static partial void DirectoryInPlace(ILogger logger, int devices, double parsed, int entries, double milliseconds);

        [LoggerMessage(EventId = 2017, Level = LogLevel.Critical, Message = "The checkpoint's device directory could not be read ({Failure}): sync refused, the node stays at the sequence it hydrated; restart it once the checkpoint is rewritten")]
        public static partial void DirectoryUnreadable(ILogger logger, string failure);

        [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "The checkpoint holds no device directory (written by an earlier version): devices are known from the log after it only")]
        public static partial void CheckpointWithoutDevices(ILogger logger);

        [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Fell behind the trimmed log; reloaded checkpoint {Sequence}")]
        public static partial void ReloadedCheckpoint(ILogger logger, long sequence);
    }
}
