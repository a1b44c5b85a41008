using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// Checkpoints in Redis: the newest one as <c>ckpt</c> (<c>seq</c>, <c>chunks</c>) over <c>ckpt:&lt;seq&gt;:&lt;i&gt;</c>
/// chunks of at most <see cref="ChunkBytes"/> (512 KiB) in <see cref="SnapshotFormat"/>, and the device directory at the same sequence
/// (<c>dchunks</c> over <c>ckpt:&lt;seq&gt;:d&lt;i&gt;</c>, <see cref="DeviceDirectory.WriteTo"/>), written by one node at a
/// time (<c>lock:ckpt</c>), the log trimmed behind it.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>
    /// A checkpoint whose index is loaded; <see cref="ParseDevices"/> parses its device directory (once: every call
    /// returns the same task, already running when the load was asked to parse it at once).
    /// </summary>
    public sealed record PendingCheckpoint(EirSnapshot Snapshot, long Sequence, Func<Task<(DeviceDirectory? Value, double Milliseconds)>> ParseDevices, double ReadMilliseconds, double IndexMilliseconds);

    /// <summary>
    /// A checkpoint as loaded: the index, its sequence, the device directory (null for a checkpoint written before the
    /// directory moved out of Redis), and how long reading its chunks and parsing each part took.
    /// </summary>
    public sealed record LoadedCheckpoint(EirSnapshot Snapshot, long Sequence, DeviceDirectory? Devices, double ReadMilliseconds, double IndexMilliseconds, double DevicesMilliseconds);

    /// <summary>
    /// The size of a checkpoint's chunks: 512 KiB. Redis takes in one SET in one go — reading it, appending it to its
    /// AOF — and on this bench's two cores it ran 28–38 ms without yielding for each 4 MiB chunk (`perf sched`), with
    /// the node's socket thread queued behind it: every checkpoint cost the checks of its second a 20–37 ms p99. At
    /// 512 KiB the checkpoint seconds' p99 is 4–5 ms, as the others' (bench/RESULTS.md "Write side"). A checkpoint
    /// written with other chunk sizes (4 MiB before) loads the same: the pointer counts the chunks.
    /// </summary>
    internal const int ChunkBytes = 512 << 10;

    // KEYS: 1 checkpoint pointer, 2 log. ARGV: 1 seq, 2 chunk count, 3 minimum log id to keep, 4 chunk key prefix,
    // 5 device directory chunk count.
    private const string CheckpointScript = """
        local old = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
        if old >= tonumber(ARGV[1]) then return 0 end
        local oldChunks = tonumber(redis.call('HGET', KEYS[1], 'chunks') or '0')
        for i = 0, oldChunks - 1 do redis.call('DEL', ARGV[4] .. string.format('%d', old) .. ':' .. i) end
        local oldDirectory = tonumber(redis.call('HGET', KEYS[1], 'dchunks') or '0')
        for i = 0, oldDirectory - 1 do redis.call('DEL', ARGV[4] .. string.format('%d', old) .. ':d' .. i) end
        redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'chunks', ARGV[2])
        if tonumber(ARGV[5]) > 0 then redis.call('HSET', KEYS[1], 'dchunks', ARGV[5]) else redis.call('HDEL', KEYS[1], 'dchunks') end
        redis.call('XTRIM', KEYS[2], 'MINID', ARGV[3])
        return 1
        """;

    private readonly RedisConnectionProvider _connection;
    private readonly RedisKeys _keys;
    private readonly RedisOptions _options;

    public CheckpointStore(RedisConnectionProvider connection, RedisKeys keys, RedisOptions options)
    {
        _connection = connection;
        _keys = keys;
        _options = options;
    }

    /// <summary>
    /// Loads the newest checkpoint, or null when there is none. <c>Devices</c> is its device directory; null for a
    /// checkpoint written before the directory moved out of Redis (docs/redis-schema.md, "Upgrading"). The index and the
    /// directory are parsed side by side (two cores); the milliseconds each step took are for the hydration log.
    /// </summary>
    public async Task<LoadedCheckpoint?> LoadCheckpointAsync()
    {
        if (await StartLoadingCheckpointAsync(parseDirectoryNow: true).ConfigureAwait(false) is not { } pending)
        {
            return null;
        }

        var (devices, milliseconds) = await pending.ParseDevices().ConfigureAwait(false);
        return new LoadedCheckpoint(pending.Snapshot, pending.Sequence, devices, pending.ReadMilliseconds, pending.IndexMilliseconds, milliseconds);
    }

    /// <summary>
    /// Loads the newest checkpoint's index; its device directory is parsed beside it when
    /// <paramref name="parseDirectoryNow"/>, else when <see cref="PendingCheckpoint.ParseDevices"/> is first called (a
    /// node that serves before it needs the directory keeps both cores for the rest of its hydration). Null when there
    /// is no checkpoint.
    /// </summary>
    public async Task<PendingCheckpoint?> StartLoadingCheckpointAsync(bool parseDirectoryNow)
    {
        var started = TimeProvider.System.GetTimestamp();
        var db = _connection.Database;
        var fields = await db.HashGetAllAsync(_keys.Checkpoint).ConfigureAwait(false);
        long seq = 0, chunks = 0, directoryChunks = 0;
        foreach (var f in fields)
        {
            if (f.Name == "seq")
            {
                seq = (long)f.Value;
            }
            else if (f.Name == "chunks")
            {
                chunks = (long)f.Value;
            }
            else if (f.Name == "dchunks")
            {
                directoryChunks = (long)f.Value;
            }
        }

        if (seq == 0)
        {
            return null;
        }

        var snapshotRead = ReadChunksAsync(db, seq, chunks, i => _keys.CheckpointChunk(seq, i));
        var directoryRead = ReadChunksAsync(db, seq, directoryChunks, i => _keys.DirectoryChunk(seq, i));
        var snapshotChunks = await snapshotRead.ConfigureAwait(false);
        var directoryBytes = await directoryRead.ConfigureAwait(false);
        var read = TimeProvider.System.GetElapsedTime(started).TotalMilliseconds;

        // The directory's chunks are copied once, into its arena, while this thread parses the index.
        var devices = new Lazy<Task<(DeviceDirectory? Value, double Milliseconds)>>(
            () => Task.Run(() => Timed(() => directoryChunks == 0 ? null : DeviceDirectory.ReadFrom(directoryBytes))));
        if (parseDirectoryNow)
        {
            _ = devices.Value;
        }

        (EirSnapshot Value, double Milliseconds) snapshot;
        try
        {
            snapshot = Timed(() =>
            {
                using var stream = new ChunkStream(snapshotChunks);
                var parsed = SnapshotFormat.Read(stream, out var storedSeq);
                return storedSeq == seq ? parsed : throw new InvalidDataException($"Checkpoint chunks hold sequence {storedSeq}, the pointer says {seq}.");
            });
        }
        catch
        {
            if (devices.IsValueCreated)
            {
                _ = devices.Value.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed: the index's failure is the one reported
            }

            throw;
        }

        return new PendingCheckpoint(snapshot.Value, seq, () => devices.Value, read, snapshot.Milliseconds);
    }

    private static (T Value, double Milliseconds) Timed<T>(Func<T> step)
    {
        var started = TimeProvider.System.GetTimestamp();
        var value = step();
        return (value, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }

    private static async Task<byte[][]> ReadChunksAsync(IDatabase db, long seq, long chunks, Func<int, RedisKey> key)
    {
        var tasks = new Task<RedisValue>[chunks];
        for (var i = 0; i < chunks; i++)
        {
            tasks[i] = db.StringGetAsync(key(i));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var result = new byte[chunks][];
        for (var i = 0; i < chunks; i++)
        {
            result[i] = tasks[i].Result.IsNull ? throw new InvalidDataException($"Checkpoint {seq} is missing a chunk.") : (byte[])tasks[i].Result!;
        }

        return result;
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="snapshot"/> (without a device directory; the checkpointer writes one with
    /// it) at <paramref name="sequence"/> if it is newer than the stored one, then trims the log behind it. Only one node
    /// at a time (a short lock). An older or equal one writes nothing.
    /// </summary>
    public async Task<bool> WriteCheckpointAsync(EirSnapshot snapshot, long sequence, string nodeName)
    {
        using var chunks = Serialize(snapshot, sequence);
        return await WriteCheckpointAsync(chunks, sequence, nodeName, devices: null).ConfigureAwait(false);
    }

    /// <summary>A snapshot in the checkpoint form, in chunks of the size they are stored in (the caller disposes them).</summary>
    internal static ChunkWriteStream Serialize(EirSnapshot snapshot, long sequence)
    {
        var chunks = NewChunks();
        SnapshotFormat.Write(chunks, snapshot, sequence);
        return chunks;
    }

    /// <summary>An empty stream of checkpoint chunks (a snapshot's or a device directory's), of the size they are stored in.</summary>
    internal static ChunkWriteStream NewChunks() => new(ChunkBytes);

    /// <summary>
    /// <see cref="WriteCheckpointAsync(EirSnapshot, long, string)"/> of a snapshot already in its checkpoint form
    /// (<see cref="Serialize"/>), with the device directory in the form <see cref="DeviceDirectory.WriteTo"/> writes (taken
    /// at the same sequence; none when null): the checkpointer writes both on the writer thread, below the checks'
    /// priority, and only the Redis writes happen here.
    /// </summary>
    internal async Task<bool> WriteCheckpointAsync(ChunkWriteStream snapshotChunks, long sequence, string nodeName, ChunkWriteStream? devices)
    {
        var db = _connection.Database;
        if (!await db.StringSetAsync(_keys.CheckpointLock, nodeName, TimeSpan.FromMinutes(5), When.NotExists).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            // An older (or the same) checkpoint is refused before anything is written: its chunks would stay behind.
            var stored = await db.HashGetAsync(_keys.Checkpoint, "seq").ConfigureAwait(false);
            if (!stored.IsNull && (long)stored >= sequence)
            {
                return false;
            }

            var chunks = snapshotChunks.Count;
            for (var i = 0; i < chunks; i++)
            {
                await db.StringSetAsync(_keys.CheckpointChunk(sequence, i), snapshotChunks.Chunk(i)).ConfigureAwait(false);
            }

            var directoryChunks = devices?.Count ?? 0;
            for (var i = 0; i < directoryChunks; i++)
            {
                await db.StringSetAsync(_keys.DirectoryChunk(sequence, i), devices!.Chunk(i)).ConfigureAwait(false);
            }

            var keep = Math.Max(1, sequence - _options.LogEntriesKeptBehindCheckpoint);
            var done = (long)await db.ScriptEvaluateAsync(
                CheckpointScript,
                [_keys.Checkpoint, _keys.Log],
                [sequence, chunks, $"{keep}-0", _keys.CheckpointChunkPrefix, directoryChunks]).ConfigureAwait(false);
            if (done == 1)
            {
                return true;
            }

            // Refused by the script after all (the lock expired and a newer one was written since the check): its chunks go.
            await db.KeyDeleteAsync([
                .. Enumerable.Range(0, chunks).Select(i => _keys.CheckpointChunk(sequence, i)),
                .. Enumerable.Range(0, directoryChunks).Select(i => _keys.DirectoryChunk(sequence, i))]).ConfigureAwait(false);
            return false;
        }
        finally
        {
            await db.KeyDeleteAsync(_keys.CheckpointLock).ConfigureAwait(false);
        }
    }
}
