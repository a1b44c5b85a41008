using ImeiEir.Core.Registry;
using ImeiEir.Storage.Audit;
using ImeiEir.Storage.Tests.Support;
using StackExchange.Redis;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="AuditTrail.ReadAsync"/> over entries laid out as the commit script writes them: bounds by time and by
/// sequence (found by bisection over the stream ids), paging that neither repeats nor skips, and bad requests refused.
/// </summary>
public sealed class AuditTrailReadTests : IClassFixture<RedisFixture>
{
    private readonly RedisFixture _redis;
    private readonly string _prefix = RedisFixture.NewPrefix();
    private readonly AuditTrail _trail;

    public AuditTrailReadTests(RedisFixture redis)
    {
        _redis = redis;
        _trail = new AuditTrail(() => redis.Db, new RedisKeys(_prefix).Audit);
    }

    // Entries for sequences 1..count, `perMs` of them in each millisecond, starting at `startMs`.
    private async Task WriteAsync(int count, int perMs, long startMs = 1_700_000_000_000)
    {
        for (var s = 1; s <= count; s++)
        {
            var ms = startMs + ((s - 1) / perMs);
            var n = (s - 1) % perMs;
            var values = AuditTrail.EntryValues(new ChangeOrigin(s % 2 == 0 ? "operator-a" : "registry", "127.0.0.1:4000", ChangeSource.Sync, [(uint)s, 0, 0, 0, 0, 0, 0, 0, 1]), "node-1");
            await _redis.Db.StreamAddAsync(_trail.Key,
            [
                new NameValueEntry("s", s), new NameValueEntry("b", $"b-{s}"), new NameValueEntry("c", values[0]), new NameValueEntry("a", values[1]),
                new NameValueEntry("o", values[2]), new NameValueEntry("k", values[3]), new NameValueEntry("n", values[4]),
            ], $"{ms}-{n}");
        }
    }

    private static AuditQuery Query(DateTimeOffset? since = null, DateTimeOffset? until = null, ulong from = 0, ulong to = 0, uint pageSize = 0, string token = "")
    {
        var (query, error) = AuditQuery.Create(since, until, from, to, pageSize, token);
        return query ?? throw new InvalidOperationException(error);
    }

    private async Task<List<AuditRecord>> ReadAllAsync(AuditQuery first)
    {
        var all = new List<AuditRecord>();
        var query = first;
        while (true)
        {
            var page = await _trail.ReadAsync(query);
            Assert.True(page.Entries.Count <= query.PageSize);
            all.AddRange(page.Entries);
            if (page.NextPageToken.Length == 0)
            {
                return all;
            }

            query = Query(first.Since, first.Until, (ulong)first.FromSequence, (ulong)first.ToSequence, (uint)first.PageSize, page.NextPageToken);
        }
    }

    [Fact]
    public async Task ReadAsync_NoBounds_EveryEntryOnceInOrderWithItsFields()
    {
        await WriteAsync(250, perMs: 3);

        var all = await ReadAllAsync(Query(pageSize: 7));

        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), all.Select(r => r.Sequence));
        var tenth = all[9];
        Assert.Equal("b-10", tenth.BatchId);
        Assert.Equal("operator-a", tenth.Client);
        Assert.Equal("127.0.0.1:4000", tenth.SourceAddress);
        Assert.Equal(ChangeSource.Sync, tenth.Source);
        Assert.Equal(new uint[] { 10, 0, 0, 0, 0, 0, 0, 0, 1 }, tenth.Counts);
        Assert.Equal("node-1", tenth.Node);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_003), tenth.Time);
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(4, 3, 9)]
    [InlineData(7, 5, 30)]
    [InlineData(100, 1, 0)]
    public async Task ReadAsync_SequenceRange_ExactlyThatRange(int perMs, long from, long to)
    {
        await WriteAsync(300, perMs);
        var cases = new (long From, long To)[] { (from, to), (2, 2), (17, 40), (299, 0), (300, 300), (1, 300), (150, 151) };

        foreach (var (f, t) in cases)
        {
            var all = await ReadAllAsync(Query(from: (ulong)f, to: (ulong)t, pageSize: 10));

            var last = t == 0 ? 300 : t;
            Assert.Equal(Enumerable.Range((int)f, (int)(last - f + 1)).Select(i => (long)i), all.Select(r => r.Sequence));
        }
    }

    [Fact]
    public async Task ReadAsync_SequenceBeyondTheNewest_Empty()
    {
        await WriteAsync(10, 1);

        var page = await _trail.ReadAsync(Query(from: 11));

        Assert.Empty(page.Entries);
        Assert.Equal("", page.NextPageToken);
    }

    [Fact]
    public async Task ReadAsync_TimeRange_SinceInclusiveUntilExclusive()
    {
        const long start = 1_700_000_000_000;
        await WriteAsync(100, perMs: 2, start);

        var all = await ReadAllAsync(Query(
            since: DateTimeOffset.FromUnixTimeMilliseconds(start + 10),
            until: DateTimeOffset.FromUnixTimeMilliseconds(start + 20),
            pageSize: 3));

        Assert.Equal(Enumerable.Range(21, 20).Select(i => (long)i), all.Select(r => r.Sequence));
    }

    [Fact]
    public async Task ReadAsync_TimeAndSequenceTogether_BothApply()
    {
        const long start = 1_700_000_000_000;
        await WriteAsync(100, perMs: 1, start);

        var all = await ReadAllAsync(Query(since: DateTimeOffset.FromUnixTimeMilliseconds(start + 49), from: 30, to: 60));

        Assert.Equal(Enumerable.Range(50, 11).Select(i => (long)i), all.Select(r => r.Sequence));
    }

    [Fact]
    public async Task ReadAsync_EmptyTrail_EmptyPage()
    {
        var page = await _trail.ReadAsync(Query(from: 5));

        Assert.Empty(page.Entries);
        Assert.Empty((await _trail.ReadAsync(Query())).Entries);
    }

    [Theory]
    [InlineData(0, 0, 0, 1001u, "", "page_size")]
    [InlineData(0, 0, 5, 0u, "", "to_sequence")]
    [InlineData(0, 0, 0, 0u, "x", "page_token")]
    [InlineData(0, 0, 0, 0u, "12-", "page_token")]
    [InlineData(10, 5, 0, 0u, "", "until")]
    public void Create_BadRequest_ErrorNamesTheField(long sinceMs, long untilMs, ulong to, uint pageSize, string token, string field)
    {
        DateTimeOffset? since = sinceMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(sinceMs);
        DateTimeOffset? until = untilMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(untilMs);

        var (query, error) = AuditQuery.Create(since, until, to == 0 ? 0UL : 9UL, to, pageSize, token);

        Assert.Null(query);
        Assert.StartsWith(field, error, StringComparison.Ordinal);
    }
}
