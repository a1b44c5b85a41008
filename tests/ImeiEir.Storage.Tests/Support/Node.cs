using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// The storage side of one node as the host wires it (EirHost): an index, a store, cluster grace marks and the
/// <see cref="ReplicatedIndex"/> that hydrates, follows and commits; time from a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class Node : IAsyncDisposable
{
    /// <summary>Where every node's clock starts.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private Node(EirIndex index, RedisStore store, ClusterGraceMarks marks, ReplicatedIndex replica, PolicyOptions policy, FakeTimeProvider time)
    {
        Index = index;
        Store = store;
        Marks = marks;
        Replica = replica;
        Policy = policy;
        Time = time;
    }

    public EirIndex Index { get; }

    public RedisStore Store { get; }

    public ClusterGraceMarks Marks { get; }

    public ReplicatedIndex Replica { get; }

    public PolicyOptions Policy { get; }

    public FakeTimeProvider Time { get; }

    public long Sequence => Index.Current.Sequence;

    /// <summary>Starts the node and waits until it has loaded its data.</summary>
    public static async Task<Node> StartAsync(RedisOptions options, PolicyOptions policy)
    {
        var time = new FakeTimeProvider(Start);
        var index = new EirIndex();
        var store = new RedisStore(options);
        var marks = new ClusterGraceMarks(policy, time, NullLogger<ClusterGraceMarks>.Instance);
        var replica = new ReplicatedIndex(index, store, marks, policy, options, time, NullLogger<ReplicatedIndex>.Instance);
        var node = new Node(index, store, marks, replica, policy, time);
        await replica.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => replica.IsLoaded, "the node loaded its data from Redis");
        return node;
    }

    /// <summary>A registry batch through the node's commit pipeline, content hash <see cref="StoreWriter.HashOf"/>.</summary>
    public Task<BatchOutcome> ApplyAsync(string batchId, params RegistryDelta[] deltas) => ApplyAsync(batchId, StoreWriter.HashOf(batchId), deltas);

    public Task<BatchOutcome> ApplyAsync(string batchId, string contentHash, params RegistryDelta[] deltas)
        => Replica.ApplyBatchAsync(batchId, contentHash, deltas, CancellationToken.None);

    /// <summary>A batch that must be accepted; returns its sequence.</summary>
    public async Task<long> ApplyOkAsync(string batchId, params RegistryDelta[] deltas)
    {
        var outcome = await ApplyAsync(batchId, deltas);
        Assert.True(outcome.Status == BatchStatus.Accepted, $"{batchId}: {outcome.Status} {outcome.Error} {string.Join("; ", outcome.Errors.Select(e => e.Message))}");
        return outcome.Sequence;
    }

    public async ValueTask DisposeAsync()
    {
        await Replica.DisposeAsync();
        await Store.DisposeAsync();
    }
}
