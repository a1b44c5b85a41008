using System.Globalization;
using ImeiEir.Core.Registry;
using StackExchange.Redis;

namespace ImeiEir.Storage.Audit;

/// <summary>
/// The audit trail in Redis: the stream <c>&lt;prefix&gt;:audit</c>, one entry per committed change, appended by the
/// commit script itself (so no change goes unrecorded and none is recorded twice) with an id Redis gives from its own
/// clock, and trimmed to <c>Audit:Retention</c> by that id (<c>XADD … MINID ~</c>). Sequences grow with the ids, which
/// lets a sequence range be found by bisection over time. Reads are the admin path (<c>RegistrySync.GetAudit</c>).
/// </summary>
public sealed class AuditTrail
{
    // Field names of an entry (short: the stream holds every batch for 400 days).
    internal const string SequenceField = "s";
    internal const string BatchIdField = "b";
    internal const string ClientField = "c";
    internal const string AddressField = "a";
    internal const string SourceField = "o";
    internal const string CountsField = "k";
    internal const string NodeField = "n";

    private readonly Func<IDatabase> _db;

    public AuditTrail(Func<IDatabase> db, RedisKey key)
    {
        _db = db;
        Key = key;
    }

    /// <summary>The stream's key.</summary>
    public RedisKey Key { get; }

    /// <summary>
    /// The values of an entry beside its sequence and batch id: client, address, source, counts, node (the commit
    /// script writes <c>XADD key MINID ~ &lt;oldest ms kept&gt; * s &lt;seq&gt; b &lt;batch id&gt; c … a … o … k … n …</c>).
    /// </summary>
    public static RedisValue[] EntryValues(ChangeOrigin origin, string node)
        => [origin.Client, origin.SourceAddress, (int)origin.Source, FormatCounts(origin.Counts), node];

    /// <summary>Counts as "1,0,3,…" (compact and readable in redis-cli).</summary>
    public static string FormatCounts(uint[] counts) => string.Join(',', counts.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>One page of entries matching <paramref name="query"/>, oldest first.</summary>
    public async Task<AuditPage> ReadAsync(AuditQuery query)
    {
        var db = _db();
        var start = query.Since is { } since ? (since.ToUnixTimeMilliseconds(), 0L) : (0L, 0L);
        if (query.FromSequence > 0 && await FirstIdAtOrAfterSequenceAsync(db, query.FromSequence).ConfigureAwait(false) is { } bySequence)
        {
            start = Max(start, bySequence);
        }
        else if (query.FromSequence > 0)
        {
            return new AuditPage([], "");
        }

        if (query.After is { } after)
        {
            start = Max(start, (after.Ms, after.N + 1));
        }

        RedisValue end = query.Until is { } until ? $"({until.ToUnixTimeMilliseconds()}-0" : "+";
        var wanted = query.PageSize + 1;
        var found = new List<AuditRecord>(Math.Min(wanted, 1_024));
        var more = true;
        while (found.Count < wanted && more)
        {
            var entries = await db.StreamRangeAsync(Key, Id(start), end, wanted - found.Count + 16).ConfigureAwait(false);
            more = entries.Length == wanted - found.Count + 16;
            foreach (var e in entries)
            {
                var record = Read(e);
                if (query.ToSequence > 0 && record.Sequence > query.ToSequence)
                {
                    more = false;
                    break;
                }

                if (record.Sequence >= query.FromSequence)
                {
                    found.Add(record);
                    if (found.Count == wanted)
                    {
                        break;
                    }
                }
            }

            if (entries.Length > 0)
            {
                AuditQuery.TryParseId(entries[^1].Id.ToString(), out var ms, out var n);
                start = (ms, n + 1);
            }
        }

        if (found.Count <= query.PageSize)
        {
            return new AuditPage(found, "");
        }

        found.RemoveAt(found.Count - 1);
        return new AuditPage(found, found[^1].Id);
    }

    // The id of the first entry whose sequence is at least `sequence`, or null when there is none: sequences grow with
    // ids, so bisect over the millisecond part, then step within the millisecond.
    private async Task<(long Ms, long N)?> FirstIdAtOrAfterSequenceAsync(IDatabase db, long sequence)
    {
        var first = await db.StreamRangeAsync(Key, "-", "+", 1).ConfigureAwait(false);
        if (first.Length == 0)
        {
            return null;
        }

        if (Read(first[0]).Sequence >= sequence)
        {
            return ParseId(first[0]);
        }

        var last = await db.StreamRangeAsync(Key, "-", "+", 1, Order.Descending).ConfigureAwait(false);
        if (Read(last[0]).Sequence < sequence)
        {
            return null;
        }

        // Invariant: the entry at or after lo has a sequence below `sequence`; the one at or after hi has it or more.
        var lo = ParseId(first[0]).Ms;
        var hi = ParseId(last[0]).Ms;
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            var probe = await db.StreamRangeAsync(Key, $"{mid}-0", "+", 1).ConfigureAwait(false);
            if (Read(probe[0]).Sequence >= sequence)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        // Entries of millisecond lo with a sequence below, then the first one at or above.
        var from = (lo, 0L);
        while (true)
        {
            var entries = await db.StreamRangeAsync(Key, Id(from), "+", 64).ConfigureAwait(false);
            foreach (var e in entries)
            {
                if (Read(e).Sequence >= sequence)
                {
                    return ParseId(e);
                }
            }

            var (ms, n) = ParseId(entries[^1]);
            from = (ms, n + 1);
        }
    }

    private static AuditRecord Read(StreamEntry e)
    {
        long sequence = 0;
        string batchId = "", client = "", address = "", node = "";
        var source = ChangeSource.Unspecified;
        var counts = new uint[ChangeOrigin.Kinds];
        foreach (var nv in e.Values)
        {
            switch (nv.Name.ToString())
            {
                case SequenceField: sequence = (long)nv.Value; break;
                case BatchIdField: batchId = nv.Value.ToString(); break;
                case ClientField: client = nv.Value.ToString(); break;
                case AddressField: address = nv.Value.ToString(); break;
                case SourceField: source = (ChangeSource)(int)nv.Value; break;
                case CountsField: ParseCounts(nv.Value.ToString(), counts); break;
                case NodeField: node = nv.Value.ToString(); break;
                default: break;
            }
        }

        var (ms, _) = ParseId(e);
        return new AuditRecord(e.Id.ToString(), sequence, batchId, DateTimeOffset.FromUnixTimeMilliseconds(ms), client, address, source, counts, node);
    }

    private static void ParseCounts(string text, uint[] counts)
    {
        var i = 0;
        foreach (var part in text.Split(','))
        {
            if (i < counts.Length && uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var c))
            {
                counts[i] = c;
            }

            i++;
        }
    }

    private static (long Ms, long N) ParseId(StreamEntry e)
        => AuditQuery.TryParseId(e.Id.ToString(), out var ms, out var n) ? (ms, n) : throw new InvalidDataException($"audit entry id '{e.Id}' is not <ms>-<n>");

    private static string Id((long Ms, long N) id) => $"{id.Ms}-{id.N}";

    private static (long, long) Max((long Ms, long N) a, (long Ms, long N) b) => a.Ms > b.Ms || (a.Ms == b.Ms && a.N >= b.N) ? a : b;
}
