using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Writes the node's index to Redis as the newest checkpoint once <c>Redis:CheckpointEveryMutations</c> mutations
/// were applied since the last one (at most every <c>Redis:CheckpointMinInterval</c>; the store's lock keeps it to one
/// node at a time). The count is of mutations applied after the checkpoint's sequence: those applied while a
/// checkpoint is being written still count towards the next.
/// </summary>
public sealed partial class Checkpointer
{
    private readonly EirIndex _index;
    private readonly DeviceDirectory _devices;
    private readonly CheckpointStore _store;
    private readonly WriterTurn _turn;
    private readonly WriterThread _thread;
    private readonly RedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _sinceCheckpoint;
    private DateTimeOffset _lastAttempt;

    public Checkpointer(EirIndex index, DeviceDirectory devices, RedisStore store, WriterTurn turn, WriterThread thread, RedisOptions options, TimeProvider time, ILogger<Checkpointer> log)
    {
        ArgumentNullException.ThrowIfNull(store);
        _index = index;
        _devices = devices;
        _store = store.Checkpoints;
        _turn = turn;
        _thread = thread;
        _options = options;
        _time = time;
        _log = log;
    }

    /// <summary>Mutations applied to the index since the sequence of the last checkpoint this node wrote.</summary>
    public long MutationsSinceCheckpoint => Interlocked.Read(ref _sinceCheckpoint);

    /// <summary>Counts mutations applied to the index (by the writer holding the turn).</summary>
    public void Count(long mutations) => Interlocked.Add(ref _sinceCheckpoint, mutations);

    /// <summary>Writes a checkpoint if enough mutations were applied and the last attempt is long enough ago.</summary>
    public async Task MaybeWriteAsync()
    {
        var now = _time.GetUtcNow();
        if (MutationsSinceCheckpoint < _options.CheckpointEveryMutations || now - _lastAttempt < _options.CheckpointMinInterval)
        {
            return;
        }

        _lastAttempt = now;
        await WriteCheckpointAsync().ConfigureAwait(false);
    }

    /// <summary>Compacts the index and writes it to Redis as the newest checkpoint (if no other node is doing so).</summary>
    public async Task<bool> WriteCheckpointAsync() => await WriteAsync(await CompactAsync().ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>
    /// The first half: the compacted view, the device directory at its sequence, and the mutations counted until it
    /// (the ones the checkpoint covers). Needs the writer's turn (during a sync burst the index holds staged views);
    /// the index and the directory are written to again once it is given back.
    /// </summary>
    internal async Task<Candidate> CompactAsync()
    {
        using (await _turn.TakeAsync().ConfigureAwait(false))
        {
            return await _thread.Run(() =>
            {
                var devices = CheckpointStore.NewChunks();
                _devices.WriteTo(devices);
                return new Candidate(_index.Compact(), MutationsSinceCheckpoint, devices);
            }).ConfigureAwait(false);
        }
    }

    /// <summary>The second half: writes the candidate; only the mutations it covers leave the count.</summary>
    internal async Task<bool> WriteAsync(Candidate candidate)
    {
        // Serialized on the writer thread (below the checks' priority, like the compaction and directory copy before it)
        // into pooled chunks; only the Redis writes run elsewhere (bench/RESULTS.md, "Write side": not shown to change the
        // check tail; it keeps a checkpoint's CPU below the checks and leaves no doubling arrays behind).
        using var devices = candidate.Devices;
        using var chunks = await _thread.Run(() => CheckpointStore.Serialize(candidate.View.Snapshot, candidate.View.Sequence)).ConfigureAwait(false);
        var written = await _store.WriteCheckpointAsync(chunks, candidate.View.Sequence, NodeName.Current, devices).ConfigureAwait(false);
        if (written)
        {
            Interlocked.Add(ref _sinceCheckpoint, -candidate.Covered);
            Log.CheckpointWritten(_log, candidate.View.Sequence);
        }

        return written;
    }

    /// <summary>
    /// A checkpoint about to be written: its view, the mutations counted up to it, the device directory then (in pooled
    /// chunks, as the snapshot is serialized; <see cref="WriteAsync"/> returns them).
    /// </summary>
    internal readonly record struct Candidate(EirView View, long Covered, ChunkWriteStream Devices);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Checkpoint written at sequence {Sequence}")]
        public static partial void CheckpointWritten(ILogger logger, long sequence);
    }
}
