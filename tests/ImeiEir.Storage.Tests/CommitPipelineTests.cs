using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="CommitPipeline.ApplyBatchAsync"/>: what a node answers for each answer of the commit script, and that its
/// pipeline (a commit sent behind the one before, which it names as its predecessor) commits every batch once, in order,
/// also while another writer commits between them.
/// </summary>
public sealed class CommitPipelineTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string ImeiA = "35693803564380";
    private const string ImeiB = "35209900176148";

    private readonly TestCluster _cluster;

    public CommitPipelineTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task ApplyBatchAsync_SameBatchIdAndContentAgain_DuplicateAnsweredWithFirstSequence()
    {
        var node = await _cluster.StartNodeAsync();
        var first = await node.ApplyAsync("b-1", "hash-1", D.Register("dev-1", ImeiA));
        await node.ApplyOkAsync("b-2", D.Bind(ImeiB, "996700111111"));

        var again = await node.ApplyAsync("b-1", "hash-1", D.Register("dev-1", ImeiA));
        var log = await _cluster.LogSequencesAsync();

        Assert.Equal((BatchStatus.Accepted, 1L), (first.Status, first.Sequence));
        Assert.Equal((BatchStatus.Duplicate, 1L), (again.Status, again.Sequence));
        Assert.Equal([1L, 2L], log);
    }

    [Fact]
    public async Task ApplyBatchAsync_BatchIdReusedWithOtherContent_IdReusedNothingWritten()
    {
        var node = await _cluster.StartNodeAsync();
        await node.ApplyAsync("b-1", "hash-1", D.Register("dev-1", ImeiA));
        var before = await _cluster.DumpAsync();

        var reused = await node.ApplyAsync("b-1", "hash-2", D.Register("dev-2", ImeiB));

        Assert.Equal(BatchStatus.IdReused, reused.Status);
        Assert.Equal(before, await _cluster.DumpAsync());
        Assert.Equal(1, node.Sequence);
    }

    [Theory]
    [InlineData("wiped")]
    [InlineData("replaced")]
    public async Task ApplyBatchAsync_StoreNotTheNodesHistory_RefusedNothingWrittenStillServing(string store)
    {
        var node = await _cluster.StartNodeAsync();
        await node.ApplyOkAsync("b-1", D.Register("dev-1", ImeiA));
        if (store == "wiped")
        {
            await _cluster.WipeAsync();
        }
        else
        {
            await _cluster.Db.StringSetAsync(_cluster.Key("epoch"), "another-history");
        }

        var before = await _cluster.DumpAsync();

        var outcome = await node.ApplyAsync("b-2", D.Register("dev-2", ImeiB));

        Assert.Equal(BatchStatus.Refused, outcome.Status);
        Assert.NotNull(node.Refusal.Reason);
        Assert.Equal(before, await _cluster.DumpAsync());
        // The node keeps serving what it had.
        var check = new EquipmentChecker(node.Index, new InMemoryGraceMarks(), node.Policy, node.Time).Check(ImeiA, "996700000001", "");
        Assert.Equal((Reason.Registered, 1L), (check.Decision.Reason, check.Sequence));
    }

    [Fact]
    public async Task ApplyBatchAsync_ManyBatchesWhileAnotherWriterCommits_EveryBatchOnceAtItsAckedSequence()
    {
        var node = await _cluster.StartNodeAsync();
        var writer = await _cluster.OpenWriterAsync();

        // All of the node's batches are queued at once: its pipeline keeps two commits in flight, the second naming the
        // first as its predecessor; the writer's commits land between them and force them to be planned again.
        var fromNode = Enumerable.Range(1, 30).Select(i => node.ApplyAsync($"node-{i}", D.Bind(ImeiA, $"9967001000{i:D2}"))).ToArray();
        var fromWriter = Task.Run(async () =>
        {
            for (var i = 1; i <= 10; i++)
            {
                while ((await writer.CommitAsync($"writer-{i}", D.Bind(ImeiB, $"9967002000{i:D2}"))).Status == CommitStatus.SequenceMoved)
                {
                }
            }
        });
        var outcomes = await Task.WhenAll(fromNode);
        await fromWriter;

        var log = await writer.Store.Log.ReadLogAsync(0, 100);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), log.Select(e => e.Sequence));
        Assert.Equal(
            Enumerable.Range(1, 30).Select(i => $"node-{i}").Concat(Enumerable.Range(1, 10).Select(i => $"writer-{i}")).Order(StringComparer.Ordinal),
            log.Select(e => e.BatchId).Order(StringComparer.Ordinal));
        Assert.All(outcomes, o => Assert.Equal(BatchStatus.Accepted, o.Status));
        // Each ack names the sequence its batch holds in the log, and the node's batches keep the order they were sent in.
        var sequenceOf = log.ToDictionary(e => e.BatchId, e => e.Sequence);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => sequenceOf[$"node-{i}"]), outcomes.Select(o => o.Sequence));
        Assert.Equal(outcomes.Select(o => o.Sequence).Order(), outcomes.Select(o => o.Sequence));
        await Eventually.TrueAsync(() => node.Sequence == 40, "the node followed to 40");
        await writer.CatchUpAsync();
        Assert.Equal(IndexContents.Of(writer.Index), IndexContents.Of(node.Index));
    }
}
