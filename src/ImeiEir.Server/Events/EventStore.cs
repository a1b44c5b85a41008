using ImeiEir.Core.Events;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// Events in Redis: the exactly-once decision and the append in one script, consumer groups over the streams,
/// due grace warnings, clone counts. Every method is one round trip (or one script); none is on the check path.
/// </summary>
public sealed class EventStore
{
    // KEYS: 1 stream of all events, 2 warnings, then per event i (from 1): 1 + 2i its once key, 2 + 2i its
    // operator's stream (= KEYS[1] when none). ARGV: 1 retention (ms), 2 channel, then per event 13 values: now (Unix
    // ms, the node's clock), window (ms), warning due (Unix ms, '' for none), warning member, and the values of the
    // stream fields k t imei msisdn imsi op if ge node (EventRecord). Returns one reply per event: its id, or nil.
    // Each event in turn, as if alone: the pair raised the kind less than a window ago (by the raising node's clock):
    // nothing. Else the time is recorded (kept twice the window by Redis' clock, for clean-up only) and the event
    // appended to both streams under one id (ids of the operator's stream are a subset of the all-events stream's,
    // so always increasing), entries older than the retention (by Redis' clock, TIME) trimmed as it goes. One
    // PUBLISH for the batch, after its last append. The script is atomic, so each decision and its append are too.
    private const string RaiseScript = """
        local t = redis.call('TIME')
        local minid = string.format('%d', tonumber(t[1]) * 1000 - tonumber(ARGV[1]))
        local ids = {}
        local last = false
        for i = 1, (#KEYS - 2) / 2 do
          local a = 2 + (i - 1) * 13
          local once, op = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
          local now, window = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
          local prev = redis.call('GET', once)
          if prev and now - tonumber(prev) < window then
            ids[i] = false
          else
            redis.call('SET', once, ARGV[a + 1], 'PX', math.max(2 * window, 1000))
            local f = {'k', ARGV[a + 5], 't', ARGV[a + 6], 'imei', ARGV[a + 7], 'msisdn', ARGV[a + 8], 'imsi', ARGV[a + 9],
                       'op', ARGV[a + 10], 'if', ARGV[a + 11], 'ge', ARGV[a + 12], 'node', ARGV[a + 13]}
            local id = redis.call('XADD', KEYS[1], 'MINID', '~', minid, '*', unpack(f))
            if op ~= KEYS[1] then redis.call('XADD', op, 'MINID', '~', minid, id, unpack(f)) end
            if ARGV[a + 3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[a + 3], ARGV[a + 4]) end
            ids[i] = id
            last = id
          end
        end
        if last then redis.call('PUBLISH', ARGV[2], last) end
        return ids
        """;

    private const int ValuesPerEvent = 13;

    // KEYS: 1 this half day's HyperLogLog, 2 the previous one's. ARGV: 1-2 IMSIs, 3 ttl (s). Returns the estimate
    // over both: the distinct IMSIs of the last 12 to 24 hours.
    private const string CountScript = """
        redis.call('PFADD', KEYS[1], ARGV[1], ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return redis.call('PFCOUNT', KEYS[1], KEYS[2])
        """;

    // KEYS: 1 lock. ARGV: 1 holder. Deletes the lock only if still held by this holder.
    private const string UnlockScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly EventsRedis _redis;

    public EventStore(EventsRedis redis)
    {
        _redis = redis;
        Keys = new EventKeys(redis.KeyPrefix);
    }

    public EventKeys Keys { get; }

    private IDatabase Db => _redis.Database;

    /// <summary>
    /// Raises the event unless the pair raised its kind less than <paramref name="window"/> ago, anywhere in the
    /// cluster. Returns the event id, or null for a repeat. With <paramref name="warningDueMs"/> also schedules
    /// the grace warning (<paramref name="warningMember"/>).
    /// </summary>
    public async Task<string?> RaiseAsync(EventRecord e, long subscriber, TimeSpan window, TimeSpan retention, long warningDueMs = 0, string warningMember = "")
        => (await RaiseAsync([new EventRaise(e, subscriber, window, warningDueMs, warningMember)], retention).ConfigureAwait(false))[0];

    /// <summary>
    /// Raises a batch in one script (one round trip, one invocation): each event exactly as the single
    /// <see cref="RaiseAsync(EventRecord, long, TimeSpan, TimeSpan, long, string)"/> would, in order (a pair twice in
    /// the batch raises once). Returns the ids in the batch's order, null for each repeat.
    /// </summary>
    public async Task<string?[]> RaiseAsync(IReadOnlyList<EventRaise> batch, TimeSpan retention)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        var keys = new RedisKey[2 + (2 * batch.Count)];
        var args = new RedisValue[2 + (ValuesPerEvent * batch.Count)];
        keys[0] = Keys.All;
        keys[1] = Keys.Warnings;
        args[0] = (long)retention.TotalMilliseconds;
        args[1] = Keys.Notify.ToString();
        for (var i = 0; i < batch.Count; i++)
        {
            var (e, subscriber, window, warningDueMs, warningMember) = batch[i];
            keys[2 + (2 * i)] = Keys.Once(e.Kind, e.Imei, subscriber);
            keys[3 + (2 * i)] = e.HomeOperator.Length == 0 ? Keys.All : Keys.Operator(e.HomeOperator);
            var a = 2 + (ValuesPerEvent * i);
            args[a] = e.TimeMs;
            args[a + 1] = (long)window.TotalMilliseconds;
            args[a + 2] = warningDueMs == 0 ? RedisValue.EmptyString : warningDueMs;
            args[a + 3] = warningMember;
            e.WriteValues(args.AsSpan(a + 4, EventRecord.FieldCount));
        }

        var r = (RedisResult[])(await Db.ScriptEvaluateAsync(RaiseScript, keys, args).ConfigureAwait(false))!;
        var ids = new string?[batch.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = r[i].IsNull ? null : r[i].ToString();
        }

        return ids;
    }

    /// <summary>Adds two IMSIs to an IMEI's half-day count; returns the distinct IMSIs of this and the previous half day.</summary>
    public async Task<long> CountImsisAsync(long imei, long halfDay, long imsiA, long imsiB)
    {
        var r = await Db.ScriptEvaluateAsync(
            CountScript,
            [Keys.Imsis(imei, halfDay), Keys.Imsis(imei, halfDay - 1)],
            [imsiA, imsiB, (long)TimeSpan.FromDays(1.5).TotalSeconds]).ConfigureAwait(false);
        return (long)r;
    }

    /// <summary>Records an IMEI over the clone threshold (for <c>ReportClones</c>).</summary>
    public async Task NoteCloneAsync(string imei, long count, long nowMs)
    {
        var db = Db;
        await Task.WhenAll(db.SortedSetAddAsync(Keys.Clones, imei, count), db.HashSetAsync(Keys.ClonesAt, imei, nowMs)).ConfigureAwait(false);
    }

    /// <summary>IMEIs over the threshold counted at or after <paramref name="sinceMs"/>, most IMSIs first; older ones are dropped.</summary>
    public async Task<IReadOnlyList<(string Imei, long Count, long AtMs)>> ReadClonesAsync(int limit, long sinceMs)
    {
        var db = Db;
        var top = await db.SortedSetRangeByRankWithScoresAsync(Keys.Clones, 0, -1, Order.Descending).ConfigureAwait(false);
        var result = new List<(string, long, long)>();
        if (top.Length == 0)
        {
            return result;
        }

        var at = await db.HashGetAsync(Keys.ClonesAt, [.. top.Select(t => t.Element)]).ConfigureAwait(false);
        var stale = new List<RedisValue>();
        for (var i = 0; i < top.Length; i++)
        {
            var ms = at[i].IsNull ? 0 : (long)at[i];
            if (ms < sinceMs)
            {
                stale.Add(top[i].Element);
            }
            else if (result.Count < limit)
            {
                result.Add((top[i].Element.ToString(), (long)top[i].Score, ms));
            }
        }

        if (stale.Count > 0)
        {
            await Task.WhenAll(db.SortedSetRemoveAsync(Keys.Clones, [.. stale]), db.HashDeleteAsync(Keys.ClonesAt, [.. stale])).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Takes the sweep lock for <paramref name="ttl"/> unless another node holds it.</summary>
    public Task<bool> TryLockSweepAsync(string holder, TimeSpan ttl) => Db.StringSetAsync(Keys.SweepLock, holder, ttl, When.NotExists);

    public Task UnlockSweepAsync(string holder) => Db.ScriptEvaluateAsync(UnlockScript, [Keys.SweepLock], [holder]);

    /// <summary>Warnings due at or before <paramref name="nowMs"/>, oldest first.</summary>
    public async Task<RedisValue[]> DueWarningsAsync(long nowMs, int count)
        => await Db.SortedSetRangeByScoreAsync(Keys.Warnings, double.NegativeInfinity, nowMs, take: count).ConfigureAwait(false);

    public Task RemoveWarningAsync(RedisValue member) => Db.SortedSetRemoveAsync(Keys.Warnings, member);

    /// <summary>Creates the group on the stream (and the stream) if absent; a new group starts at the oldest retained event.</summary>
    public async Task EnsureGroupAsync(RedisKey stream, string group)
    {
        try
        {
            await Db.StreamCreateConsumerGroupAsync(stream, group, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> entries for the consumer: after <paramref name="after"/> among those delivered to it
    /// and not acknowledged, or with <see cref="StreamPosition.NewMessages"/> new ones.
    /// </summary>
    public Task<StreamEntry[]> ReadGroupAsync(RedisKey stream, string group, string consumer, RedisValue after, int count)
        => Db.StreamReadGroupAsync(stream, group, consumer, after, count);

    /// <summary>Acknowledges; returns how many were pending.</summary>
    public Task<long> AcknowledgeAsync(RedisKey stream, string group, RedisValue[] ids) => Db.StreamAcknowledgeAsync(stream, group, ids);
}
