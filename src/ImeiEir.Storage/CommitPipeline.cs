using System.Threading.Channels;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// Every write of the node (registry batches, number switches, amnesty bindings), one sequence each, in the order
/// submitted: plan on the newest view (the staged one while the batch before is still committing), stage the plan in
/// the index, send the commit script right behind the one before (naming it as its predecessor), and once Redis
/// answers publish the staged view, wait for replicas if asked, and answer. A commit Redis refuses ("moved": another
/// node committed first) takes every staged view back; the batches are planned again after catching up. See
/// README.md beside this file for the flow and its invariants.
/// </summary>
public sealed partial class CommitPipeline : IRegistryWriter
{
    private readonly EirIndex _index;
    private readonly DeviceDirectory _devices;
    private readonly RedisStore _store;
    private readonly WriterTurn _turn;
    private readonly WriterThread _thread;
    private readonly LogFollower _follower;
    private readonly SyncRefusal _refusal;
    private readonly Checkpointer _checkpointer;
    private readonly ClusterGraceMarks _marks;
    private readonly BatchPlanner _planner;
    private readonly RedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<PendingBatch> _pending = Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true });

    public CommitPipeline(EirIndex index, DeviceDirectory devices, RedisStore store, WriterTurn turn, WriterThread thread, LogFollower follower, SyncRefusal refusal, Checkpointer checkpointer, ClusterGraceMarks marks, PolicyOptions policy, RedisOptions options, TimeProvider time, ILogger<CommitPipeline> log)
    {
        _index = index;
        _devices = devices;
        _store = store;
        _turn = turn;
        _thread = thread;
        _follower = follower;
        _refusal = refusal;
        _checkpointer = checkpointer;
        _marks = marks;
        _planner = new BatchPlanner(policy);
        _options = options;
        _time = time;
        _log = log;
    }

    // A write waiting for the pipeline: how to plan it on a view and a device directory, and whether its batch id was
    // known on arrival (null: not read, or the read failed).
    private sealed record PendingBatch(string BatchId, string ContentHash, ChangeOrigin Origin, Func<EirView, IDeviceDirectory, Task<BatchPlan>> Plan, Task<EarlyRead?>? Early, CancellationToken Ct)
    {
        public TaskCompletionSource<BatchOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Attempts { get; set; }
    }

    private sealed record InFlight(PendingBatch Batch, BatchPlan Plan, EirView Staged, Task<CommitResult> Commit);

    // Whether the batch id was known when the batch arrived.
    private sealed record EarlyRead((long Sequence, string Hash)? Known);

    /// <inheritdoc/>
    /// <remarks>
    /// Whether the batch id is known is read at once, without waiting for the writer's turn (a read sent after the
    /// commit before would wait behind it in Redis). The batch is planned on the node's device directory: no other read.
    /// </remarks>
    public Task<BatchOutcome> ApplyBatchAsync(string batchId, string contentHash, IReadOnlyList<RegistryDelta> deltas, ChangeOrigin origin, CancellationToken ct)
        => EnqueueAsync(batchId, contentHash, origin, (view, devices) => _planner.PlanInSlicesAsync(deltas, view, devices, WriteFlowControl.PlanSliceDeltas), ReadEarlyAsync(batchId), ct);

    /// <inheritdoc/>
    public Task<BatchOutcome> SwitchNumberAsync(SwitchNumberDelta delta, ChangeOrigin origin, CancellationToken ct)
        => EnqueueAsync(
            "switch-" + Guid.NewGuid().ToString("N"),
            "switch",
            origin,
            (view, _) => Task.FromResult(_planner.PlanSwitch(delta, view, _marks, _time.GetUtcNow().UtcTicks)),
            early: null,
            ct);

    /// <summary>Amnesty bindings (already resolved, see <see cref="AmnestyBindings"/>) as one batch.</summary>
    public Task<BatchOutcome> ApplyAmnestyAsync(IReadOnlyList<Mutation> bindings, CancellationToken ct)
        => EnqueueAsync("auto-" + Guid.NewGuid().ToString("N"), "auto", ChangeOrigin.AmnestyBindings(bindings.Count), (view, _) => Task.FromResult(AmnestyBindings.Plan(view, bindings)), early: null, ct);

    private Task<BatchOutcome> EnqueueAsync(string batchId, string contentHash, ChangeOrigin origin, Func<EirView, IDeviceDirectory, Task<BatchPlan>> plan, Task<EarlyRead?>? early, CancellationToken ct)
    {
        if (!_index.IsLoaded)
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node has not loaded its data yet"));
        }

        if (_refusal.Reason is { } reason)
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + reason));
        }

        var batch = new PendingBatch(batchId, contentHash, origin, plan, early, ct);
        if (!_pending.Writer.TryWrite(batch))
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node is shutting down"));
        }

        return batch.Done.Task;
    }

    // Null when the node cannot write now or the read failed (the id is read in the batch's turn then).
    private async Task<EarlyRead?> ReadEarlyAsync(string batchId)
    {
        if (!_index.IsLoaded || _refusal.Reason is not null)
        {
            return null;
        }

        try
        {
            return new EarlyRead(await Bounded(_store.Log.GetBatchAsync(batchId)).ConfigureAwait(false));
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            return null;
        }
    }

    /// <summary>Takes the submitted writes in bursts, each under the writer's turn, until <paramref name="stop"/>; then answers the rest "shutting down".</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var retry = new LinkedList<PendingBatch>();
        try
        {
            while (true)
            {
                if (retry.Count == 0 && !await _pending.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
                {
                    return;
                }

                using (await _turn.TakeAsync(stop).ConfigureAwait(false))
                {
                    await BurstAsync(retry).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _pending.Writer.TryComplete();
            foreach (var b in retry)
            {
                b.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node is shutting down"));
            }

            while (_pending.Reader.TryRead(out var b))
            {
                b.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node is shutting down"));
            }
        }
    }

    private bool TryNext(LinkedList<PendingBatch> retry, out PendingBatch batch)
    {
        if (retry.First is { } first)
        {
            retry.RemoveFirst();
            batch = first.Value;
            return true;
        }

        return _pending.Reader.TryRead(out batch!);
    }

    // Caller holds the writer's turn.
    private async Task BurstAsync(LinkedList<PendingBatch> retry)
    {
        var inFlight = new Queue<InFlight>();
        var taken = 0;
        // The batch being answered after its commit left the queue (waiting for replicas, or for its duplicate's
        // original): a storage failure then must answer it too, or its sender waits for an ack that never comes.
        PendingBatch? answering = null;
        try
        {
            await _follower.CatchUpAsync().ConfigureAwait(false);
            var depth = _options.AckReplicas > 0 ? 1 : WriteFlowControl.PipelineDepth;
            while (true)
            {
                while (inFlight.Count < depth && taken < WriteFlowControl.BurstBatches && TryNext(retry, out var batch))
                {
                    taken++;
                    BatchOutcome? outcome;
                    try
                    {
                        outcome = await StartCommitAsync(batch, inFlight).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsStorageFailure(ex))
                    {
                        batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Unavailable, StorageErrors.ForClient(ex)));
                        throw;
                    }

                    if (outcome is null)
                    {
                        continue;
                    }

                    if (ReferenceEquals(outcome, Deferred))
                    {
                        // A known batch id behind commits still in flight: answered once they are in.
                        retry.AddFirst(batch);
                        break;
                    }

                    // Decided without a commit (rejected, refused, a duplicate): acks keep their order because the
                    // stream writes them in the order it submitted the batches.
                    batch.Done.TrySetResult(outcome);
                }

                if (inFlight.Count == 0)
                {
                    if (retry.Count > 0 && taken < WriteFlowControl.BurstBatches)
                    {
                        continue;
                    }

                    return;
                }

                var head = inFlight.Peek();
                var result = await head.Commit.ConfigureAwait(false);
                inFlight.Dequeue();
                answering = head.Batch;
                if (result.Status == CommitStatus.Committed)
                {
                    await _thread.Run(() =>
                    {
                        _index.Publish(head.Staged);
                        _devices.Apply(head.Plan);
                        head.Plan.ReleaseDeviceChanges();
                        _checkpointer.Count(head.Plan.Mutations.Count);
                        foreach (var (imei, sub) in head.Plan.GraceMarksConsumed)
                        {
                            _marks.Remove(imei, sub);
                        }
                    }).ConfigureAwait(false);

                    head.Batch.Done.TrySetResult(await AcknowledgeAsync(result.Sequence, head.Plan).ConfigureAwait(false));
                    answering = null;
                    continue;
                }

                // Every staged view goes; the commits behind this one find it not committed and commit nothing.
                await TakeBackAsync(inFlight, retry).ConfigureAwait(false);
                switch (result.Status)
                {
                    case CommitStatus.DuplicateId:
                        head.Batch.Done.TrySetResult(await DuplicateAsync(head.Batch.BatchId, head.Batch.ContentHash, result.Sequence, result.ContentHash!).ConfigureAwait(false));
                        break;
                    case CommitStatus.SequenceMoved when result.Sequence >= _index.Current.Sequence:
                        // Another writer committed first: catch up and plan this batch again, first in line.
                        if (++head.Batch.Attempts >= 20)
                        {
                            head.Batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Unavailable, "too many concurrent writers; retry"));
                        }
                        else
                        {
                            retry.AddFirst(head.Batch);
                        }

                        await _follower.CatchUpAsync().ConfigureAwait(false);
                        break;
                    case CommitStatus.SequenceMoved:
                        _refusal.Refuse($"Redis is at sequence {result.Sequence}, behind this node's {_index.Current.Sequence}");
                        head.Batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + _refusal.Reason));
                        break;
                    default:
                        _refusal.Refuse("Redis' history is not this node's (epoch missing or changed)");
                        head.Batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + _refusal.Reason));
                        break;
                }

                answering = null;
            }
        }
        catch (Exception ex)
        {
            // A commit in flight may or may not have been written: none is acked, the sender retries with the same
            // batch ids (a written one then answers as a duplicate, and the follow loop brings it in). Anything
            // but a storage failure is a defect: logged, and the pipeline goes on with the next batches.
            var storage = IsStorageFailure(ex);
            if (storage)
            {
                Log.CommitFailed(_log, StorageErrors.ForLog(ex));
            }
            else
            {
                Log.PipelineFailed(_log, StorageErrors.ForLog(ex), ex.StackTrace ?? "");
            }

            await TakeBackAsync(inFlight, null).ConfigureAwait(false);
            // The client learns the kind of failure, never a message (it can carry key names, and keys carry identifiers).
            var failure = BatchOutcome.Fail(BatchStatus.Unavailable, storage ? StorageErrors.ForClient(ex) : "internal error; retry");
            answering?.Done.TrySetResult(failure);
            foreach (var f in inFlight)
            {
                f.Batch.Done.TrySetResult(failure);
            }

            // So do the batches waiting now (as each did when it met the outage alone): a stream stops at its first
            // unacked batch and resends from there.
            while (TryNext(retry, out var waiting))
            {
                waiting.Done.TrySetResult(failure);
            }
        }
    }

    // One Redis reply the write path waits for at most Redis:ReplyTimeout: a primary that stopped answering without
    // closing its connections (its host hung or cut off) would otherwise hold this batch, and every one behind it, until
    // StackExchange.Redis' own timeout. The reply may still come: a commit that lands after all is not acked here, the
    // client's retry is answered as a duplicate, and a commit planned after it finds the sequence moved.
    private Task<T> Bounded<T>(Task<T> reply) => reply.WaitAsync(_options.ReplyTimeout);

    // WAIT itself waits up to Redis:AckReplicasTimeout for the replicas; its reply then gets Redis:ReplyTimeout.
    private Task<long> ReplicasAsync() => _store.Log.WaitForReplicasAsync().WaitAsync(_options.AckReplicasTimeout + _options.ReplyTimeout);

    internal static bool IsStorageFailure(Exception ex)
        => ex is RedisException or StoreUnavailableException or TimeoutException or InvalidOperationException { InnerException: RedisException };

    // Returned by StartCommitAsync for a known batch id while commits are in flight.
    private static readonly BatchOutcome Deferred = BatchOutcome.Fail(BatchStatus.Unavailable, "deferred");

    // Plans the batch on the newest view, stages it and sends its commit; or returns its outcome when no commit
    // is needed.
    private async Task<BatchOutcome?> StartCommitAsync(PendingBatch batch, Queue<InFlight> inFlight)
    {
        if (batch.Ct.IsCancellationRequested)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable, "the request was cancelled");
        }

        if (_refusal.Reason is { } reason)
        {
            return BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + reason);
        }

        // Whether the batch id is known was read on arrival (a read sent now would wait behind the commit in flight).
        // A retry of a batch still in flight is not known yet then: its commit answers "duplicate", or, if it no
        // longer plans as valid, the id is read again below.
        var early = batch.Early is null ? null : await batch.Early.ConfigureAwait(false);
        var known = early is not null ? early.Known : await Bounded(_store.Log.GetBatchAsync(batch.BatchId)).ConfigureAwait(false);
        if (known is { } k)
        {
            // The original may be one of the commits in flight: answer once they are in.
            return inFlight.Count > 0
                ? Deferred
                : await DuplicateAsync(batch.BatchId, batch.ContentHash, k.Sequence, k.Hash).ConfigureAwait(false);
        }

        // The newest view (staged while commits are in flight) and the device directory as those commits leave it.
        var basis = _index.Head;
        IDeviceDirectory devices = inFlight.Count == 0 ? _devices : new StagedDeviceDirectory(_devices, [.. inFlight.Select(f => f.Plan)]);
        // Planned and staged on the writer thread (below the checks' priority); the slices' yields come back to it.
        var (plan, staged, at) = await _thread.Run(async () =>
        {
            var plan = await batch.Plan(basis, devices).ConfigureAwait(true);
            if (!plan.IsValid)
            {
                return (plan, (EirView?)null, default(DateTimeOffset));
            }

            // The plan's effect was worked out on the basis while planning: staging writes it, reading nothing again.
            var at = _time.GetUtcNow();
            return (plan, _index.Stage(basis.Sequence + 1, plan.Effect, at), at);
        }).ConfigureAwait(false);
        if (staged is null)
        {
            if (early is not null && await Bounded(_store.Log.GetBatchAsync(batch.BatchId)).ConfigureAwait(false) is { } again)
            {
                return inFlight.Count > 0
                    ? Deferred
                    : await DuplicateAsync(batch.BatchId, batch.ContentHash, again.Sequence, again.Hash).ConfigureAwait(false);
            }

            return new BatchOutcome(BatchStatus.Rejected, 0, plan.Errors, "", []);
        }

        var predecessor = inFlight.Count > 0 ? inFlight.Last() : null;
        var commit = Bounded(_store.Commits.CommitAsync(
            basis.Sequence,
            _follower.Epoch,
            batch.BatchId,
            batch.ContentHash,
            batch.Origin,
            plan,
            at.UtcTicks,
            predecessor is null ? null : (predecessor.Batch.BatchId, predecessor.Batch.ContentHash)));
        inFlight.Enqueue(new InFlight(batch, plan, staged, commit));
        return null;
    }

    private async Task<BatchOutcome> AcknowledgeAsync(long sequence, BatchPlan plan)
    {
        var replicas = await ReplicasAsync().ConfigureAwait(false);
        if (replicas < _options.AckReplicas)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable,
                $"written to the Redis primary as sequence {sequence} but only {replicas} of {_options.AckReplicas} replicas confirmed; retry with the same batch_id");
        }

        return new BatchOutcome(BatchStatus.Accepted, sequence, [], "", plan.SwitchedImeis);
    }

    // The caller holds the writer's turn.
    private async Task<BatchOutcome> DuplicateAsync(string batchId, string contentHash, long sequence, string storedHash)
    {
        if (storedHash != contentHash)
        {
            return BatchOutcome.Fail(BatchStatus.IdReused, $"batch_id '{batchId}' was already accepted (sequence {sequence}) with different content");
        }

        // The original may still be on its way here from the log; and a retry after a replica shortfall must not
        // be acked before the replicas have it either.
        await _follower.CatchUpAsync().ConfigureAwait(false);
        var replicas = await ReplicasAsync().ConfigureAwait(false);
        if (replicas < _options.AckReplicas)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable,
                $"sequence {sequence} is in the Redis primary but only {replicas} of {_options.AckReplicas} replicas confirmed; retry with the same batch_id");
        }

        return new BatchOutcome(BatchStatus.Duplicate, sequence, [], "", []);
    }

    // Discards every staged view (their device changes were never applied to the directory); the batches in flight (whose commits Redis
    // refuses behind the failed one) go back to the front of the line, in order, unless retry is null.
    private async Task TakeBackAsync(Queue<InFlight> inFlight, LinkedList<PendingBatch>? retry)
    {
        _index.DiscardStaged();
        if (retry is null)
        {
            return;
        }

        var behind = new List<PendingBatch>();
        while (inFlight.TryDequeue(out var f))
        {
            // Their commits cannot have been written (the one they depend on was not); wait so none is outstanding.
            await ((Task)f.Commit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            behind.Add(f.Batch);
        }

        for (var i = behind.Count - 1; i >= 0; i--)
        {
            retry.AddFirst(behind[i]);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "A batch could not be committed (storage unavailable): {Error}")]
        public static partial void CommitFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "The sync pipeline failed; the batches in flight were answered UNAVAILABLE: {Error}\n{Stack}")]
        public static partial void PipelineFailed(ILogger logger, string error, string stack);
    }
}
