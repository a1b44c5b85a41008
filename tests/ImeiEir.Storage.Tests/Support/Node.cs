using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// The storage side of one node as the host wires it (<see cref="StorageServiceCollectionExtensions.AddRegistryStorage"/>):
/// an index, a store, cluster grace marks, the follower, the commit pipeline, the checkpointer and the
/// <see cref="RegistryHost"/> that runs them; time from a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class Node : IAsyncDisposable
{
    /// <summary>Where every node's clock starts.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly RegistryHost _host;

    private Node(EirIndex index, RedisStore store, ClusterGraceMarks marks, SyncRefusal refusal, Checkpointer checkpointer, CommitPipeline writer, RegistryHost host, PolicyOptions policy, FakeTimeProvider time)
    {
        Index = index;
        Store = store;
        Marks = marks;
        Refusal = refusal;
        Checkpointer = checkpointer;
        Writer = writer;
        _host = host;
        Policy = policy;
        Time = time;
    }

    public EirIndex Index { get; }

    public RedisStore Store { get; }

    public ClusterGraceMarks Marks { get; }

    public SyncRefusal Refusal { get; }

    public Checkpointer Checkpointer { get; }

    public CommitPipeline Writer { get; }

    public PolicyOptions Policy { get; }

    public FakeTimeProvider Time { get; }

    public long Sequence => Index.Current.Sequence;

    /// <summary>The node's device directory (derived from the checkpoint and the log).</summary>
    public required DeviceDirectory Devices { get; init; }

    /// <summary>The thread the node's write work runs on.</summary>
    public required WriterThread Thread { get; init; }

    /// <summary>The node's log follower (hydration, following).</summary>
    public required LogFollower Follower { get; init; }

    /// <summary>
    /// Starts the node and waits until it has loaded its data: the index, and unless <paramref name="directoryGate"/> is
    /// given, the device directory too (with a gate, the directory is put in place once the gate's task completes).
    /// </summary>
    public static async Task<Node> StartAsync(RedisOptions options, PolicyOptions policy, Func<Task>? directoryGate = null)
    {
        var time = new FakeTimeProvider(Start);
        var index = new EirIndex();
        var devices = new DeviceDirectory();
        var store = new RedisStore(options);
        var marks = new ClusterGraceMarks(policy, time, NullLogger<ClusterGraceMarks>.Instance);
        var turn = new WriterTurn();
        var thread = new WriterThread(new WriterOptions());
        var refusal = new SyncRefusal(NullLogger<SyncRefusal>.Instance);
        var checkpointer = new Checkpointer(index, devices, store, turn, thread, options, time, NullLogger<Checkpointer>.Instance);
        var follower = new LogFollower(index, devices, store, turn, thread, refusal, checkpointer, marks, options, time, NullLogger<LogFollower>.Instance);
        var writer = new CommitPipeline(index, devices, store, turn, thread, follower, refusal, checkpointer, marks, policy, options, time, NullLogger<CommitPipeline>.Instance);
        var amnesty = new AmnestyBinder(writer, NullLogger<AmnestyBinder>.Instance);
        var host = new RegistryHost(store, follower, writer, checkpointer, amnesty, marks, NullLogger<RegistryHost>.Instance);
        follower.BeforeDirectoryInPlace = directoryGate;
        var node = new Node(index, store, marks, refusal, checkpointer, writer, host, policy, time) { Devices = devices, Follower = follower, Thread = thread };
        await host.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => index.IsLoaded, "the node loaded its data from Redis");
        if (directoryGate is null)
        {
            await Eventually.TrueAsync(() => follower.DirectoryLoaded.IsCompleted, "the node put its device directory in place");
        }

        return node;
    }

    /// <summary>A registry batch through the node's commit pipeline, content hash <see cref="StoreWriter.HashOf"/>.</summary>
    public Task<BatchOutcome> ApplyAsync(string batchId, params RegistryDelta[] deltas) => ApplyAsync(batchId, StoreWriter.HashOf(batchId), deltas);

    public Task<BatchOutcome> ApplyAsync(string batchId, string contentHash, params RegistryDelta[] deltas)
        => Writer.ApplyBatchAsync(batchId, contentHash, deltas, StoreWriter.TestOrigin, CancellationToken.None);

    /// <summary>A batch that must be accepted; returns its sequence.</summary>
    public async Task<long> ApplyOkAsync(string batchId, params RegistryDelta[] deltas)
    {
        var outcome = await ApplyAsync(batchId, deltas);
        Assert.True(outcome.Status == BatchStatus.Accepted, $"{batchId}: {outcome.Status} {outcome.Error} {string.Join("; ", outcome.Errors.Select(e => e.Message))}");
        return outcome.Sequence;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        await Store.DisposeAsync();
        Thread.Dispose();
    }
}
