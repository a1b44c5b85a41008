using System.Buffers;
using System.Globalization;
using ImeiEir.Core.Registry;
using ImeiEir.Storage.Audit;
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

/// <summary>
/// Commits a planned batch with one Lua script (docs/redis-schema.md, "Writing"): the batch id, the epoch, the
/// sequence and the pipelined predecessor are checked, then the sequence, the log entry (with the batch's device
/// changes), the batch id, the stolen and grace records, the change notification and the audit entry (docs/audit.md)
/// are written — all or nothing.
/// </summary>
public sealed class BatchCommitter
{
    // KEYS: 1 seq, 2 log, 3 batch id, 4 epoch, 5 the preceding batch's id, 6.. record keys. ARGV: 1 expected seq,
    // 2 content hash, 3 ticks, 4 batch id, 5 mutations, 6 batch id ttl (s), 7 epoch, 8 record group count, 9 the
    // value KEYS[5] must hold ('' for no check: a commit sent behind another before that one's answer is known
    // must find that one committed, as the sequence it planned on), 10 the device changes ('' for none), then per group (S or D, key index, field
    // count c, then c field/value pairs for S or c fields for D), then the change channel, then the audit entry
    // (retention in ms, client, address, source, counts, node; its stream is the last key; entries older than the
    // retention by Redis' clock, which also makes the entries' ids, are trimmed). One HSET or HDEL
    // a group: the per-call cost of a script is paid per hash, not per field.
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
        if ARGV[10] == '' then
          redis.call('XADD', KEYS[2], string.format('%d-1', nxt), 'b', ARGV[4], 't', ARGV[3], 'm', ARGV[5])
        else
          redis.call('XADD', KEYS[2], string.format('%d-1', nxt), 'b', ARGV[4], 't', ARGV[3], 'm', ARGV[5], 'd', ARGV[10])
        end
        redis.call('SET', KEYS[3], string.format('%d', nxt) .. ':' .. ARGV[2], 'EX', ARGV[6])
        local n = tonumber(ARGV[8])
        local i = 11
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
        local now = redis.call('TIME')
        local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[i + 1])
        redis.call('XADD', KEYS[#KEYS], 'MINID', '~', string.format('%d', math.max(oldest, 0)), '*', 's', nxt, 'b', ARGV[4], 'c', ARGV[i + 2], 'a', ARGV[i + 3], 'o', ARGV[i + 4], 'k', ARGV[i + 5], 'n', ARGV[i + 6])
        return {'ok', string.format('%d', nxt)}
        """;

    private readonly RedisConnectionProvider _connection;
    private readonly RedisKeys _keys;
    private readonly RedisOptions _options;
    private readonly AuditTrail _audit;
    private readonly AuditOptions _auditOptions;

    public BatchCommitter(RedisConnectionProvider connection, RedisKeys keys, RedisOptions options, AuditTrail audit, AuditOptions auditOptions)
    {
        _connection = connection;
        _keys = keys;
        _options = options;
        _audit = audit;
        _auditOptions = auditOptions;
    }

    /// <summary>
    /// Commits a planned batch as the next sequence after <paramref name="expectedSequence"/>, atomically with its
    /// batch id, stolen and grace records, a change notification and the audit entry of <paramref name="origin"/>.
    /// </summary>
    public async Task<CommitResult> CommitAsync(long expectedSequence, string epoch, string batchId, string contentHash, ChangeOrigin origin, BatchPlan plan, long nowTicks, (string BatchId, string ContentHash)? predecessor = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // Record writes, grouped by hash: per hash one HDEL, then one HSET. Devices have no record in Redis: the log
        // entry carries them (field d) and every node derives its device directory from it.
        var writes = new List<RecordWrite>(plan.StolenCases.Count + plan.GraceMarksConsumed.Count + 4);
        // Both log fields are encoded into pooled buffers (a 10 000-delta batch's would be large-object-heap arrays).
        var mutations = ArrayPool<byte>.Shared.Rent(Math.Max(1, plan.Mutations.Count * MutationCodec.Size));
        var devices = ArrayPool<byte>.Shared.Rent(Math.Max(1, DeviceChangeCodec.SizeOf(plan)));
        try
        {
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
            var keyCount = 6;
            var argCount = 17;
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
            (keys[0], keys[1], keys[2], keys[3]) = (_keys.Sequence, _keys.Log, _keys.Batch(batchId), _keys.Epoch);
            keys[4] = predecessor is { } pk ? _keys.Batch(pk.BatchId) : keys[2];
            var args = new RedisValue[argCount];
            (args[0], args[1], args[2], args[3]) = (expectedSequence, contentHash, nowTicks, batchId);
            (args[4], args[5], args[6], args[7]) = (MutationCodec.Encode(plan.Mutations, mutations), (long)_options.BatchIdRetention.TotalSeconds, epoch, groups.Count);
            args[8] = predecessor is { } pv ? $"{expectedSequence}:{pv.ContentHash}" : "";
            args[9] = DeviceChangeCodec.Encode(plan, devices);
            var k = 5;
            var a = 10;
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

            args[a++] = _keys.Changes.ToString();
            args[a++] = (long)_auditOptions.Retention.TotalMilliseconds;
            foreach (var v in AuditTrail.EntryValues(origin, NodeName.Current))
            {
                args[a++] = v;
            }

            keys[^1] = _audit.Key;
            var result = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(CommitScript, keys, args).ConfigureAwait(false))!;
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
            ArrayPool<byte>.Shared.Return(mutations);
            ArrayPool<byte>.Shared.Return(devices);
        }
    }

    private enum RecordKind : byte
    {
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
        RecordKind.Stolen => _keys.Stolen,
        _ => _keys.Grace(bucket),
    };

    private static CommitResult DuplicateResult(string value)
    {
        var (seq, hash) = RedisLog.ParseBatchValue(value);
        return new CommitResult(CommitStatus.DuplicateId, seq, hash);
    }
}
