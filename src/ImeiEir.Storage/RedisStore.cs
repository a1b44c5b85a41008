using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>The outcome of one commit attempt.</summary>
public enum CommitStatus
{
    Committed,
    /// <summary>The batch id is known: <see cref="CommitResult.Sequence"/> and <see cref="CommitResult.ContentHash"/> are the stored ones.</summary>
    DuplicateId,
    /// <summary>Another node committed first: catch up and plan again.</summary>
    SequenceMoved,
    /// <summary>The store's history is not ours (emptied, restored from an older copy, another cluster).</summary>
    HistoryMismatch,
}

public readonly record struct CommitResult(CommitStatus Status, long Sequence, string? ContentHash);

/// <summary>One committed batch as the log holds it.</summary>
public sealed record LogEntry(long Sequence, string BatchId, long AppliedAtTicks, Mutation[] Mutations);

/// <summary>
/// Device records read for planning, exact as of the store's <see cref="Sequence"/> (-1: read across two
/// sequences, not exact) — for the owners of the IMEIs that the index view of <see cref="ViewSequence"/> held as
/// registered. IMEIs registered after that view have their owners in the commits since.
/// </summary>
public sealed record PrefetchedDevices(InMemoryDeviceDirectory Directory, long Sequence, long ViewSequence)
{
    /// <summary>The stored (sequence, content hash) of the batch id at that sequence, if it was known then.</summary>
    public (long Sequence, string Hash)? KnownBatch { get; init; }
}

/// <summary>The store's identity and position.</summary>
public readonly record struct StoreHead(string? Epoch, long Sequence);

/// <summary>
/// All Redis I/O of a node. The schema (docs/redis-schema.md): a commit log (stream) of resolved mutations with a
/// sequence, periodic checkpoints of the whole index in a compact binary form, and the few records kept beside
/// the index (devices, stolen case references, grace marks, batch ids). Every commit is one Lua script, so a
/// batch is in Redis entirely or not at all.
/// </summary>
public sealed partial class RedisStore : IAsyncDisposable
{
    private const int ChunkBytes = 4 << 20;
    // 65 536 buckets: up to ~60 M devices keep every bucket within hash-max-listpack-entries 1024 (deploy/redis).
    private const int DeviceBuckets = 65_536;

    // KEYS: 1 seq, 2 log, 3 batch id, 4 epoch, 5 the preceding batch's id, 6.. record keys. ARGV: 1 expected seq,
    // 2 content hash, 3 ticks, 4 batch id, 5 mutations, 6 batch id ttl (s), 7 epoch, 8 record group count, 9 the
    // value KEYS[5] must hold ('' for no check: a commit sent behind another before that one's answer is known
    // must find that one committed, as the sequence it planned on), then per group (S or D, key index, field
    // count c, then c field/value pairs for S or c fields for D), then the change channel. One HSET or HDEL a
    // group: the per-call cost of a script is paid per hash, not per field.
    private const string CommitScript = """
        local b = redis.call('GET', KEYS[3])
        if b then return {'dup', b} end
        local e = redis.call('GET', KEYS[4])
        if e ~= ARGV[7] then return {'epoch', e or ''} end
        local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
        if cur ~= tonumber(ARGV[1]) then return {'moved', tostring(cur)} end
        if ARGV[9] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[9] then return {'moved', tostring(cur)} end
        local nxt = cur + 1
        redis.call('SET', KEYS[1], nxt)
        redis.call('XADD', KEYS[2], string.format('%d-1', nxt), 'b', ARGV[4], 't', ARGV[3], 'm', ARGV[5])
        redis.call('SET', KEYS[3], string.format('%d', nxt) .. ':' .. ARGV[2], 'EX', ARGV[6])
        local n = tonumber(ARGV[8])
        local i = 10
        for j = 1, n do
          local k = KEYS[tonumber(ARGV[i + 1])]
          local c = tonumber(ARGV[i + 2])
          if ARGV[i] == 'S' then
            redis.call('HSET', k, unpack(ARGV, i + 3, i + 2 + 2 * c))
            i = i + 3 + 2 * c
          else
            redis.call('HDEL', k, unpack(ARGV, i + 3, i + 2 + c))
            i = i + 3 + c
          end
        end
        redis.call('PUBLISH', ARGV[i], string.format('%d', nxt))
        return {'ok', string.format('%d', nxt)}
        """;

    // KEYS: 1 seq, 2 a batch id's key, then hashes; ARGV: a field of each hash. Returns the sequence, the batch id's
    // value (nil if unknown), then the values in order (nil where absent): read together, so the values are those
    // of exactly that sequence.
    private const string HashGetManyScript = """
        local r = {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2])}
        for i = 3, #KEYS do r[i] = redis.call('HGET', KEYS[i], ARGV[i - 2]) end
        return r
        """;

    // KEYS: 1 grace hash of the subscriber. ARGV: 1 imei, 2 ticks, 3 ttl (s), 4 channel, 5 subscriber key, 6 the
    // oldest time still in force (ticks - retention). The hash expires as a whole (Redis 7.0 has no per-field
    // expiry), so a field can outlive the retention: a stored mark older than ARGV[6] counts as absent and is replaced.
    private const string GraceScript = """
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        if (not cur) or tonumber(cur) > tonumber(ARGV[2]) or tonumber(cur) < tonumber(ARGV[6]) then
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          cur = ARGV[2]
          redis.call('PUBLISH', ARGV[4], ARGV[1] .. ':' .. ARGV[5] .. ':' .. cur)
        end
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return cur
        """;

    // KEYS: 1 checkpoint pointer, 2 log. ARGV: 1 seq, 2 chunk count, 3 minimum log id to keep, 4 chunk key prefix.
    private const string CheckpointScript = """
        local old = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
        if old >= tonumber(ARGV[1]) then return 0 end
        local oldChunks = tonumber(redis.call('HGET', KEYS[1], 'chunks') or '0')
        for i = 0, oldChunks - 1 do redis.call('DEL', ARGV[4] .. string.format('%d', old) .. ':' .. i) end
        redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'chunks', ARGV[2])
        redis.call('XTRIM', KEYS[2], 'MINID', ARGV[3])
        return 1
        """;

    private readonly RedisOptions _options;
    private readonly string _p;
    private readonly RedisKey?[] _deviceKeys = new RedisKey?[DeviceBuckets];
    private readonly ILogger _log;
    private ConnectionMultiplexer? _mux;

    public RedisStore(RedisOptions options, ILogger<RedisStore>? log = null)
    {
        _options = options;
        _log = log ?? (ILogger)NullLogger.Instance;
        _p = options.KeyPrefix;
        ChangeChannel = RedisChannel.Literal(_p + ":events");
        GraceChannel = RedisChannel.Literal(_p + ":grace-events");
    }

    public RedisChannel ChangeChannel { get; }

    public RedisChannel GraceChannel { get; }

    public bool IsConnected => _mux?.IsConnected == true;

    private ConnectionMultiplexer Mux => _mux ?? throw new StoreUnavailableException("Redis is not connected yet.");

    private IDatabase Db => Mux.GetDatabase();

    public ISubscriber Subscriber => Mux.GetSubscriber();

    /// <summary>
    /// Connects (retrying in the background if Redis is not there yet). The password, TLS trust and client certificate
    /// come from <see cref="RedisConnection"/>; every failed connection attempt is logged with its cause.
    /// </summary>
    public async Task ConnectAsync()
    {
        if (_mux is not null)
        {
            return;
        }

        var config = RedisConnection.Build(_options);
        config.AbortOnConnectFail = false;
        // Exception texts without the command's key and server counters: keys carry identifiers (IMEI, MSISDN).
        config.IncludeDetailInExceptions = false;
        config.IncludePerformanceCountersInExceptions = false;
        config.ConnectRetry = 3;
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
        config.SyncTimeout = Math.Max(config.SyncTimeout, 10000);
        config.AsyncTimeout = Math.Max(config.AsyncTimeout, 10000);
        config.ClientName ??= "imeieir";

        // While Redis is away, fail writes at once (the caller answers UNAVAILABLE and the client retries) rather
        // than holding them in a backlog until the timeout; checks never touch Redis.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectionAttemptCompleted += OnConnectionAttempt;
        Log.Connecting(_log, RedisConnection.ForLog(config));
        _mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
    }

    // A refused certificate or a wrong password shows here with its cause, not only as "no connection" later.
    private void OnConnectionAttempt(object? sender, ConnectionAttemptCompletedEventArgs e)
    {
        if (e.IsSuccess)
        {
            Log.Connected(_log, e.EndPoint?.ToString() ?? "", e.ConnectionType.ToString());
        }
        else
        {
            var error = e.Exception is null ? "" : StorageErrors.ForLog(e.Exception);
            Log.ConnectionAttemptFailed(_log, e.EndPoint?.ToString() ?? "", e.ConnectionType.ToString(), e.Stage.ToString(), e.FailureType.ToString(), error);
        }
    }

    private RedisKey K(string suffix) => _p + ":" + suffix;

    /// <summary>The store's epoch and sequence.</summary>
    public async Task<StoreHead> GetHeadAsync()
    {
        var db = Db;
        var epoch = db.StringGetAsync(K("epoch"));
        var seq = db.StringGetAsync(K("seq"));
        await Task.WhenAll(epoch, seq).ConfigureAwait(false);
        return new StoreHead(epoch.Result.IsNull ? null : epoch.Result.ToString(), seq.Result.IsNull ? 0 : (long)seq.Result);
    }

    /// <summary>Creates the cluster's epoch if the store is brand new. Returns the epoch in force.</summary>
    public async Task<string> InitializeEpochAsync()
    {
        var db = Db;
        await db.StringSetAsync(K("epoch"), Guid.NewGuid().ToString("N"), when: When.NotExists).ConfigureAwait(false);
        return (await db.StringGetAsync(K("epoch")).ConfigureAwait(false)).ToString();
    }

    /// <summary>The stored (sequence, content hash) of an accepted batch id, if any.</summary>
    public async Task<(long Sequence, string Hash)?> GetBatchAsync(string batchId)
    {
        var v = await Db.StringGetAsync(K("batch:" + batchId)).ConfigureAwait(false);
        return v.IsNull ? null : ParseBatchValue(v.ToString());
    }

    private static (long, string) ParseBatchValue(string v)
    {
        var colon = v.IndexOf(':', StringComparison.Ordinal);
        return (long.Parse(v.AsSpan(0, colon), CultureInfo.InvariantCulture), v[(colon + 1)..]);
    }

    /// <summary>
    /// Commits a planned batch as the next sequence after <paramref name="expectedSequence"/>, atomically with its
    /// batch id, device and stolen records, and a change notification.
    /// </summary>
    public async Task<CommitResult> CommitAsync(long expectedSequence, string epoch, string batchId, string contentHash, BatchPlan plan, long nowTicks, (string BatchId, string ContentHash)? predecessor = null)
    {
        // Record writes, grouped by hash: per hash one HDEL, then one HSET (a device removed and registered again in
        // one batch is removed first). The IMEIs of added devices are packed into one pooled buffer.
        var writes = new List<RecordWrite>(plan.DevicesAdded.Count + plan.DevicesRemoved.Count + plan.StolenCases.Count + plan.GraceMarksConsumed.Count + 16);
        var packedLength = 0;
        foreach (var d in plan.DevicesRemoved)
        {
            writes.Add(new RecordWrite(RecordKind.Device, DeviceBucket(d.DeviceId), false, writes.Count, d.DeviceId, default));
            foreach (var imei in d.Imeis)
            {
                writes.Add(new RecordWrite(RecordKind.Owner, imei >>> 10, false, writes.Count, OwnerField(imei), default));
            }
        }

        foreach (var d in plan.DevicesAdded)
        {
            packedLength += d.Imeis.Length * 8;
        }

        var packed = ArrayPool<byte>.Shared.Rent(Math.Max(1, packedLength));
        var mutations = ArrayPool<byte>.Shared.Rent(Math.Max(1, plan.Mutations.Count * MutationCodec.Size));
        try
        {
            var offset = 0;
            foreach (var d in plan.DevicesAdded)
            {
                var imeis = packed.AsMemory(offset, d.Imeis.Length * 8);
                for (var i = 0; i < d.Imeis.Length; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(imeis.Span[(i * 8)..], d.Imeis[i]);
                }

                offset += imeis.Length;
                writes.Add(new RecordWrite(RecordKind.Device, DeviceBucket(d.DeviceId), true, writes.Count, d.DeviceId, imeis));
                foreach (var imei in d.Imeis)
                {
                    writes.Add(new RecordWrite(RecordKind.Owner, imei >>> 10, true, writes.Count, OwnerField(imei), d.DeviceId));
                }
            }

            // A report, a clearance and a report again of one IMEI in one batch: the last one stands.
            var stolen = new Dictionary<long, string?>();
            foreach (var (imei, caseRef) in plan.StolenCases)
            {
                stolen[imei] = caseRef;
            }

            foreach (var (imei, caseRef) in stolen)
            {
                writes.Add(new RecordWrite(RecordKind.Stolen, 0, caseRef is not null, writes.Count, imei, caseRef));
            }

            foreach (var (imei, subscriber) in plan.GraceMarksConsumed)
            {
                writes.Add(new RecordWrite(RecordKind.Grace, subscriber.Value, false, writes.Count, imei, default));
            }

            writes.Sort();
            // Groups of writes to one hash with one operation (Lua's unpack is limited by its stack: at most 1 000
            // fields a call); counted first so the script's arguments are built once, at their size.
            var groups = new List<(int Start, int End, bool NewKey)>();
            var keyCount = 5;
            var argCount = 10;
            for (var g = 0; g < writes.Count;)
            {
                var first = writes[g];
                var newKey = g == 0 || writes[g - 1].Kind != first.Kind || writes[g - 1].Bucket != first.Bucket;
                var end = g + 1;
                while (end < writes.Count && end - g < 1000 && writes[end].Kind == first.Kind && writes[end].Bucket == first.Bucket && writes[end].Set == first.Set)
                {
                    end++;
                }

                groups.Add((g, end, newKey));
                keyCount += newKey ? 1 : 0;
                argCount += 3 + ((end - g) * (first.Set ? 2 : 1));
                g = end;
            }

            var keys = new RedisKey[keyCount];
            (keys[0], keys[1], keys[2], keys[3]) = (K("seq"), K("log"), K("batch:" + batchId), K("epoch"));
            keys[4] = predecessor is { } pk ? K("batch:" + pk.BatchId) : keys[2];
            var args = new RedisValue[argCount];
            (args[0], args[1], args[2], args[3]) = (expectedSequence, contentHash, nowTicks, batchId);
            (args[4], args[5], args[6], args[7]) = (MutationCodec.Encode(plan.Mutations, mutations), (long)_options.BatchIdRetention.TotalSeconds, epoch, groups.Count);
            args[8] = predecessor is { } pv ? $"{expectedSequence}:{pv.ContentHash}" : "";
            var k = 5;
            var a = 9;
            foreach (var (start, end, newKey) in groups)
            {
                var first = writes[start];
                if (newKey)
                {
                    keys[k++] = RecordKey(first.Kind, first.Bucket);
                }

                args[a++] = first.Set ? "S" : "D";
                args[a++] = k;
                args[a++] = end - start;
                for (var i = start; i < end; i++)
                {
                    args[a++] = writes[i].Field;
                    if (first.Set)
                    {
                        args[a++] = writes[i].Value;
                    }
                }
            }

            args[a] = ChangeChannel.ToString();
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(CommitScript, keys, args).ConfigureAwait(false))!;
            var status = result[0].ToString();
            var value = result[1].ToString();
            return status switch
            {
                "ok" => new CommitResult(CommitStatus.Committed, long.Parse(value, CultureInfo.InvariantCulture), contentHash),
                "dup" => DuplicateResult(value),
                "moved" => new CommitResult(CommitStatus.SequenceMoved, long.Parse(value, CultureInfo.InvariantCulture), null),
                _ => new CommitResult(CommitStatus.HistoryMismatch, 0, value),
            };
        }
        finally
        {
            // The script call has completed (or failed): its arguments were written or dropped, not held.
            ArrayPool<byte>.Shared.Return(packed);
            ArrayPool<byte>.Shared.Return(mutations);
        }
    }

    private enum RecordKind : byte
    {
        Device,
        Owner,
        Stolen,
        Grace,
    }

    // One HSET/HDEL field of a record hash. Sorted by hash, deletes before sets, then in plan order.
    private readonly record struct RecordWrite(RecordKind Kind, long Bucket, bool Set, int Order, RedisValue Field, RedisValue Value) : IComparable<RecordWrite>
    {
        public int CompareTo(RecordWrite other)
        {
            var c = ((byte)Kind).CompareTo((byte)other.Kind);
            if (c == 0)
            {
                c = Bucket.CompareTo(other.Bucket);
            }

            if (c == 0)
            {
                c = Set.CompareTo(other.Set);
            }

            return c != 0 ? c : Order.CompareTo(other.Order);
        }
    }

    private RedisKey RecordKey(RecordKind kind, long bucket) => kind switch
    {
        RecordKind.Device => DeviceBucketKey((int)bucket),
        RecordKind.Owner => K("own:" + bucket.ToString(CultureInfo.InvariantCulture)),
        RecordKind.Stolen => K("stolen"),
        _ => K("grace:" + bucket.ToString(CultureInfo.InvariantCulture)),
    };

    private static CommitResult DuplicateResult(string value)
    {
        var (seq, hash) = ParseBatchValue(value);
        return new CommitResult(CommitStatus.DuplicateId, seq, hash);
    }

    /// <summary>Asks for <see cref="RedisOptions.AckReplicas"/> replicas to confirm; returns how many did.</summary>
    public async Task<long> WaitForReplicasAsync()
    {
        if (_options.AckReplicas == 0)
        {
            return 0;
        }

        var r = await Db.ExecuteAsync("WAIT", _options.AckReplicas, (long)_options.AckReplicasTimeout.TotalMilliseconds).ConfigureAwait(false);
        return (long)r;
    }

    /// <summary>Log entries with sequence above <paramref name="afterSequence"/>, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSequence, int count)
    {
        var entries = await Db.StreamRangeAsync(K("log"), $"{afterSequence + 1}-0", "+", count).ConfigureAwait(false);
        var result = new List<LogEntry>(entries.Length);
        foreach (var e in entries)
        {
            var id = e.Id.ToString();
            var seq = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            string batchId = "";
            long ticks = 0;
            byte[] m = [];
            foreach (var nv in e.Values)
            {
                switch (nv.Name.ToString())
                {
                    case "b": batchId = nv.Value.ToString(); break;
                    case "t": ticks = (long)nv.Value; break;
                    case "m": m = (byte[])nv.Value!; break;
                    default: break;
                }
            }

            result.Add(new LogEntry(seq, batchId, ticks, MutationCodec.Decode(m)));
        }

        return result;
    }

    /// <summary>Loads the newest checkpoint, or null when there is none.</summary>
    public async Task<(EirSnapshot Snapshot, long Sequence)?> LoadCheckpointAsync()
    {
        var db = Db;
        var fields = await db.HashGetAllAsync(K("ckpt")).ConfigureAwait(false);
        long seq = 0, chunks = 0;
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
        }

        if (seq == 0)
        {
            return null;
        }

        var tasks = new Task<RedisValue>[chunks];
        for (var i = 0; i < chunks; i++)
        {
            tasks[i] = db.StringGetAsync(K($"ckpt:{seq}:{i}"));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        using var stream = new MemoryStream();
        foreach (var t in tasks)
        {
            if (t.Result.IsNull)
            {
                throw new InvalidDataException($"Checkpoint {seq} is missing a chunk.");
            }

            var bytes = (byte[])t.Result!;
            stream.Write(bytes);
        }

        stream.Position = 0;
        var snapshot = SnapshotFormat.Read(stream, out var storedSeq);
        if (storedSeq != seq)
        {
            throw new InvalidDataException($"Checkpoint chunks hold sequence {storedSeq}, the pointer says {seq}.");
        }

        return (snapshot, seq);
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="snapshot"/> at <paramref name="sequence"/> if it is newer than the
    /// stored one, then trims the log behind it. Only one node at a time (a short lock).
    /// </summary>
    public async Task<bool> WriteCheckpointAsync(EirSnapshot snapshot, long sequence, string nodeName)
    {
        var db = Db;
        var lockKey = K("lock:ckpt");
        if (!await db.StringSetAsync(lockKey, nodeName, TimeSpan.FromMinutes(5), When.NotExists).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            // An older (or the same) checkpoint is refused before anything is written: its chunks would stay behind.
            var stored = await db.HashGetAsync(K("ckpt"), "seq").ConfigureAwait(false);
            if (!stored.IsNull && (long)stored >= sequence)
            {
                return false;
            }

            using var stream = new MemoryStream();
            SnapshotFormat.Write(stream, snapshot, sequence);
            var bytes = stream.GetBuffer().AsMemory(0, (int)stream.Length);
            var chunks = (bytes.Length + ChunkBytes - 1) / ChunkBytes;
            for (var i = 0; i < chunks; i++)
            {
                var part = bytes.Slice(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes)));
                await db.StringSetAsync(K($"ckpt:{sequence}:{i}"), part).ConfigureAwait(false);
            }

            var keep = Math.Max(1, sequence - _options.LogEntriesKeptBehindCheckpoint);
            var done = (long)await db.ScriptEvaluateAsync(
                CheckpointScript,
                [K("ckpt"), K("log")],
                [sequence, chunks, $"{keep}-0", K("ckpt:").ToString()]).ConfigureAwait(false);
            if (done == 1)
            {
                return true;
            }

            // Refused by the script after all (a newer one was written since the check): its chunks go.
            await db.KeyDeleteAsync([.. Enumerable.Range(0, chunks).Select(i => K($"ckpt:{sequence}:{i}"))]).ConfigureAwait(false);
            return false;
        }
        finally
        {
            await db.KeyDeleteAsync(lockKey).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The devices and owners a batch refers to, read from the store (for planning) in one round trip: every
    /// device id the batch names, and the owner of each IMEI it registers that <paramref name="view"/> holds as
    /// registered (an IMEI the index does not hold has no owner record: both change in the same commit). The
    /// result is exact for the store's sequence it reports, provided that equals the view's.
    /// </summary>
    public async Task<PrefetchedDevices> PrefetchDevicesAsync(string batchId, IReadOnlyList<RegistryDelta> deltas, EirView view)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var imeis = new HashSet<long>();
        foreach (var d in deltas)
        {
            switch (d)
            {
                case RegisterDeviceDelta r:
                    if (!string.IsNullOrEmpty(r.DeviceId))
                    {
                        ids.Add(r.DeviceId);
                    }

                    foreach (var text in r.Imeis ?? [])
                    {
                        if (Core.Identifiers.ImeiParser.TryParse(text, out var p) == Core.Identifiers.ParseStatus.Ok && view.IsRegistered(p.Key.Value))
                        {
                            imeis.Add(p.Key.Value);
                        }
                    }

                    break;
                case UnregisterDeviceDelta { DeviceId.Length: > 0 } u:
                    ids.Add(u.DeviceId);
                    break;
                default:
                    break;
            }
        }

        var directory = new InMemoryDeviceDirectory();
        var idList = ids.ToArray();
        var imeiList = imeis.ToArray();
        var keys = new RedisKey[idList.Length + imeiList.Length];
        var fields = new RedisValue[keys.Length];
        for (var i = 0; i < idList.Length; i++)
        {
            keys[i] = DeviceKey(idList[i]);
            fields[i] = idList[i];
        }

        for (var i = 0; i < imeiList.Length; i++)
        {
            keys[idList.Length + i] = OwnerKey(imeiList[i]);
            fields[idList.Length + i] = OwnerField(imeiList[i]);
        }

        var batchKey = K("batch:" + batchId);
        var (sequence, batch, values) = await HashGetManyAsync(batchKey, keys, fields).ConfigureAwait(false);
        for (var i = 0; i < idList.Length; i++)
        {
            if (!values[i].IsNull)
            {
                directory.Add(idList[i], UnpackImeis((byte[])values[i]!));
            }
        }

        // An IMEI owned by a device the batch does not name: read that device's IMEIs too (rare: a conflict).
        var owners = new List<(long Imei, string Owner)>();
        for (var i = 0; i < imeiList.Length; i++)
        {
            var v = values[idList.Length + i];
            if (!v.IsNull && !directory.TryGetDeviceOf(imeiList[i], out _))
            {
                owners.Add((imeiList[i], v.ToString()));
            }
        }

        if (owners.Count > 0)
        {
            var (ownerSequence, _, ownerValues) = await HashGetManyAsync(
                batchKey,
                [.. owners.Select(o => DeviceKey(o.Owner))],
                [.. owners.Select(o => (RedisValue)o.Owner)]).ConfigureAwait(false);
            if (ownerSequence != sequence)
            {
                sequence = -1; // another commit in between: not exact for any one sequence
            }

            for (var i = 0; i < owners.Count; i++)
            {
                if (!directory.TryGetDeviceOf(owners[i].Imei, out _))
                {
                    directory.Add(owners[i].Owner, ownerValues[i].IsNull ? [owners[i].Imei] : UnpackImeis((byte[])ownerValues[i]!));
                }
            }
        }

        return new PrefetchedDevices(directory, sequence, view.Sequence) { KnownBatch = batch.IsNull ? null : ParseBatchValue(batch.ToString()) };
    }

    // HGET of (keys[i], fields[i]) for every i and the store's sequence, in one script call (one message instead of
    // one per field).
    private async Task<(long Sequence, RedisValue Batch, RedisValue[] Values)> HashGetManyAsync(RedisKey batchKey, RedisKey[] keys, RedisValue[] fields)
    {
        var result = (RedisValue[])(await Db.ScriptEvaluateAsync(HashGetManyScript, [K("seq"), batchKey, .. keys], fields).ConfigureAwait(false))!;
        return ((long)result[0], result[1], result[2..]);
    }

    /// <summary>The device id an IMEI is registered under, if any.</summary>
    public async Task<string?> GetDeviceOfAsync(long imei)
    {
        var v = await Db.HashGetAsync(OwnerKey(imei), OwnerField(imei)).ConfigureAwait(false);
        return v.IsNull ? null : v.ToString();
    }

    /// <summary>Records a grace mark cluster-wide, the earliest time winning; returns the time in force.</summary>
    public async Task<long> MergeGraceMarkAsync(long imei, SubscriberKey subscriber, long ticks, TimeSpan retention)
    {
        var r = await Db.ScriptEvaluateAsync(
            GraceScript,
            [K(GraceKey(subscriber))],
            [imei, ticks, (long)retention.TotalSeconds, GraceChannel.ToString(), subscriber.Value, ticks - retention.Ticks]).ConfigureAwait(false);
        return (long)r;
    }

    /// <summary>Every grace mark in the store.</summary>
    public async IAsyncEnumerable<(long Imei, SubscriberKey Subscriber, long Ticks)> ReadAllGraceMarksAsync()
    {
        var mux = Mux;
        var db = Db;
        var prefix = _p + ":grace:";
        foreach (var server in mux.GetServers())
        {
            if (server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(db.Database, prefix + "*", pageSize: 1000).ConfigureAwait(false))
            {
                var sub = new SubscriberKey(long.Parse(key.ToString().AsSpan(prefix.Length), CultureInfo.InvariantCulture));
                foreach (var e in await db.HashGetAllAsync(key).ConfigureAwait(false))
                {
                    yield return ((long)e.Name, sub, (long)e.Value);
                }
            }
        }
    }

    private static int DeviceBucket(string deviceId)
    {
        var max = Encoding.UTF8.GetMaxByteCount(deviceId.Length);
        var buffer = max <= 1024 ? stackalloc byte[1024] : new byte[max];
        var n = Encoding.UTF8.GetBytes(deviceId, buffer);
        return (int)(XxHash3.HashToUInt64(buffer[..n]) % DeviceBuckets);
    }

    // The 65 536 device bucket keys, made once each.
    private RedisKey DeviceBucketKey(int bucket)
    {
        if (_deviceKeys[bucket] is { } key)
        {
            return key;
        }

        key = K("dev:" + bucket.ToString(CultureInfo.InvariantCulture));
        _deviceKeys[bucket] = key;
        return key;
    }

    private RedisKey DeviceKey(string deviceId) => DeviceBucketKey(DeviceBucket(deviceId));

    // 1 024 IMEIs a bucket: a bucket of a dense TAC range stays within hash-max-listpack-entries (deploy/redis).
    private RedisKey OwnerKey(long imei) => K("own:" + (imei >>> 10).ToString(CultureInfo.InvariantCulture));

    private static RedisValue OwnerField(long imei) => imei & 1023;

    private static string GraceKey(SubscriberKey subscriber) => "grace:" + subscriber.Value.ToString(CultureInfo.InvariantCulture);

    private static byte[] PackImeis(long[] imeis)
    {
        var bytes = new byte[imeis.Length * 8];
        for (var i = 0; i < imeis.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), imeis[i]);
        }

        return bytes;
    }

    private static long[] UnpackImeis(byte[] bytes)
    {
        var result = new long[bytes.Length / 8];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null)
        {
            await _mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Connecting to Redis: {Configuration}")]
        public static partial void Connecting(ILogger logger, string configuration);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} ({ConnectionType}) established")]
        public static partial void Connected(ILogger logger, string endPoint, string connectionType);

        [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} ({ConnectionType}) failed at {Stage} ({FailureType}): {Error}")]
        public static partial void ConnectionAttemptFailed(ILogger logger, string endPoint, string connectionType, string stage, string failureType, string error);
    }
}

/// <summary>The store cannot be reached now; nothing was written.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message) : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }

    public StoreUnavailableException()
    {
    }
}
