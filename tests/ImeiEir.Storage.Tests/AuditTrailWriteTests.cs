using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// The commit script writes the audit entry with the change and only then: a committed batch has exactly one entry,
/// a duplicate, a "moved" or a refused history none; entries older than <c>Audit:Retention</c> are trimmed.
/// </summary>
public sealed class AuditTrailWriteTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string Imei = "35693803564380";

    private readonly TestCluster _cluster;

    public AuditTrailWriteTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task Commit_OnlyCommittedBatchesLeaveAnEntry()
    {
        var writer = await _cluster.OpenWriterAsync();
        for (var i = 1; i <= 3; i++)
        {
            await writer.CommitOkAsync($"b-{i}", D.Bind(Imei, $"99670000000{i}"));
        }

        var plan = await writer.PlanAsync(D.Bind(Imei, "996700000009"));
        var duplicate = await writer.Store.Commits.CommitAsync(3, writer.Epoch, "b-2", StoreWriter.HashOf("b-2"), StoreWriter.TestOrigin, plan, StoreWriter.CommitTime.UtcTicks);
        var moved = await writer.Store.Commits.CommitAsync(1, writer.Epoch, "late", "hash-late", StoreWriter.TestOrigin, plan, StoreWriter.CommitTime.UtcTicks);
        var otherHistory = await writer.Store.Commits.CommitAsync(3, "another-epoch", "elsewhere", "hash-e", StoreWriter.TestOrigin, plan, StoreWriter.CommitTime.UtcTicks);

        Assert.Equal(CommitStatus.DuplicateId, duplicate.Status);
        Assert.Equal(CommitStatus.SequenceMoved, moved.Status);
        Assert.Equal(CommitStatus.HistoryMismatch, otherHistory.Status);
        var entries = await _cluster.Db.StreamRangeAsync(_cluster.Key("audit"));
        Assert.Equal(["1", "2", "3"], entries.Select(e => e["s"].ToString()));
        Assert.Equal(["b-1", "b-2", "b-3"], entries.Select(e => e["b"].ToString()));
    }

    [Fact]
    public async Task Commit_EntriesOlderThanTheRetention_Trimmed()
    {
        var writer = await _cluster.OpenWriterAsync();
        // 300 entries from 401 days ago (Redis' clock decides the age: the ids are its milliseconds), then a commit.
        var oldMs = DateTimeOffset.UtcNow.AddDays(-401).ToUnixTimeMilliseconds();
        for (var i = 0; i < 300; i++)
        {
            await _cluster.Db.StreamAddAsync(_cluster.Key("audit"), "b", $"old-{i}", $"{oldMs + i}-0");
        }

        await writer.CommitOkAsync("new", D.Subscriber("437010000000001", "996700000001"));

        var entries = await _cluster.Db.StreamRangeAsync(_cluster.Key("audit"));
        // Approximate trimming removes whole stream nodes (100 entries each by default): at most the newest node's
        // old entries remain, and the new entry does.
        Assert.InRange(entries.Length, 1, 101);
        Assert.Equal("new", entries[^1]["b"].ToString());
    }
}
