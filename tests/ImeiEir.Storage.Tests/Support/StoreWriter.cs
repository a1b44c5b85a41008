using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// Writes the way a node does, one step at a time and in plain sight: plans a batch with the real
/// <see cref="BatchPlanner"/> on its own index view and device directory (both derived from the log), commits it with
/// <see cref="BatchCommitter.CommitAsync"/>, and applies it to its index when Redis accepted it. No pipeline, no
/// subscription: what reaches other nodes reaches them through Redis only.
/// </summary>
public sealed class StoreWriter
{
    /// <summary>The time every commit of a writer carries.</summary>
    public static readonly DateTimeOffset CommitTime = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The origin test commits are audited under.</summary>
    public static readonly ChangeOrigin TestOrigin = new("storage-tests", "127.0.0.1:1", ChangeSource.Sync, new uint[ChangeOrigin.Kinds]);

    private readonly BatchPlanner _planner = new(new PolicyOptions());

    private StoreWriter(RedisStore store, string epoch)
    {
        Store = store;
        Epoch = epoch;
    }

    public RedisStore Store { get; }

    /// <summary>The epoch in force when the writer started (created if the store was brand new).</summary>
    public string Epoch { get; }

    /// <summary>The writer's view of the data: everything it committed or read from the log.</summary>
    public EirIndex Index { get; } = new();

    /// <summary>The writer's device directory: what it committed or read from the log.</summary>
    public DeviceDirectory Devices { get; } = new();

    public static async Task<StoreWriter> CreateAsync(RedisStore store)
    {
        var epoch = await store.Log.InitializeEpochAsync();
        var writer = new StoreWriter(store, epoch);
        writer.Index.MarkLoaded();
        return writer;
    }

    /// <summary>The content hash a batch id gets unless a test says otherwise.</summary>
    public static string HashOf(string batchId) => "hash-" + batchId;

    /// <summary>Plans <paramref name="deltas"/> on the writer's current view; the batch must be valid.</summary>
    public Task<BatchPlan> PlanAsync(params RegistryDelta[] deltas)
    {
        var plan = _planner.Plan(deltas, Index.Current, Devices);
        Assert.True(plan.IsValid, string.Join("; ", plan.Errors.Select(e => $"{e.Index}: {e.Message}")));
        return Task.FromResult(plan);
    }

    /// <summary>Catches up, plans and commits on the writer's sequence; applies the batch if it was committed.</summary>
    public Task<CommitResult> CommitAsync(string batchId, params RegistryDelta[] deltas) => CommitAsync(batchId, HashOf(batchId), deltas);

    public async Task<CommitResult> CommitAsync(string batchId, string contentHash, params RegistryDelta[] deltas)
    {
        await CatchUpAsync();
        var plan = await PlanAsync(deltas);
        var result = await Store.Commits.CommitAsync(Index.Current.Sequence, Epoch, batchId, contentHash, StoreWriter.TestOrigin, plan, CommitTime.UtcTicks);
        if (result.Status == CommitStatus.Committed)
        {
            Index.Apply(result.Sequence, plan.Mutations.ToArray(), CommitTime);
            Devices.Apply(plan);
        }

        return result;
    }

    /// <summary>Commits a batch that must be accepted; returns its sequence.</summary>
    public async Task<long> CommitOkAsync(string batchId, params RegistryDelta[] deltas)
    {
        var result = await CommitAsync(batchId, deltas);
        Assert.Equal(CommitStatus.Committed, result.Status);
        return result.Sequence;
    }

    /// <summary>Applies what other writers committed since the writer's sequence.</summary>
    public async Task CatchUpAsync()
    {
        foreach (var e in await Store.Log.ReadLogAsync(Index.Current.Sequence, 10_000))
        {
            Index.Apply(e.Sequence, e.Mutations, new DateTimeOffset(e.AppliedAtTicks, TimeSpan.Zero));
            Devices.Apply(e.Devices.Removed, e.Devices.Added);
        }
    }
}
