using System.Globalization;
using ImeiEir.Core.Events;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// Events in Redis: the exactly-once decision and the append in one script, consumer groups over the streams,
/// due grace warnings, clone counts. Every method is one round trip (or one script); none is on the check path.
/// </summary>
public sealed class EventStore
{
    // KEYS: 1 once key, 2 stream of all events, 3 the operator's stream (= KEYS[2] when none), 4 warnings.
    // ARGV: 1 now (Unix ms, the node's clock), 2 window (ms), 3 retention (ms), 4 channel, 5 warning due (Unix ms,
    // '' for none), 6 warning member, 7.. the event's field/value pairs.
    // The pair raised the kind less than a window ago (by the raising node's clock): nothing. Else the time is
    // recorded (kept twice the window by Redis' clock, for clean-up only) and the event appended to both streams
    // under one id (ids of the operator's stream are a subset of the all-events stream's, so always increasing),
    // entries older than the retention (by Redis' clock, TIME) trimmed as it goes.
    private const string RaiseScript = """
        local last = redis.call('GET', KEYS[1])
        if last and tonumber(ARGV[1]) - tonumber(last) < tonumber(ARGV[2]) then return false end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(2 * tonumber(ARGV[2]), 1000))
        local t = redis.call('TIME')
        local minid = string.format('%d', tonumber(t[1]) * 1000 - tonumber(ARGV[3]))
        local id = redis.call('XADD', KEYS[2], 'MINID', '~', minid, '*', unpack(ARGV, 7))
        if KEYS[3] ~= KEYS[2] then redis.call('XADD', KEYS[3], 'MINID', '~', minid, id, unpack(ARGV, 7)) end
        if ARGV[5] ~= '' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6]) end
        redis.call('PUBLISH', ARGV[4], id)
        return id
        """;

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
    {
        var op = e.HomeOperator.Length == 0 ? Keys.All : Keys.Operator(e.HomeOperator);
        var fields = e.ToFields();
        var args = new RedisValue[6 + fields.Length];
        args[0] = e.TimeMs;
        args[1] = (long)window.TotalMilliseconds;
        args[2] = (long)retention.TotalMilliseconds;
        args[3] = Keys.Notify.ToString();
        args[4] = warningDueMs == 0 ? "" : warningDueMs.ToString(CultureInfo.InvariantCulture);
        args[5] = warningMember;
        fields.CopyTo(args, 6);
        var r = await Db.ScriptEvaluateAsync(RaiseScript, [Keys.Once(e.Kind, e.Imei, subscriber), Keys.All, op, Keys.Warnings], args).ConfigureAwait(false);
        return r.IsNull ? null : r.ToString();
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
