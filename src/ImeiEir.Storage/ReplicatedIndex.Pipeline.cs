using System.Runtime.InteropServices;
using System.Threading.Channels;
using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// The write pipeline (registry batches, number switches, amnesty bindings: every write of the node is one
/// sequence through it): batch N+1 is planned on the index as batch N leaves it (a staged view, not yet
/// published) and its commit is sent behind N's, so the node plans while Redis commits. Redis runs the commits
/// in order; each after the first checks that the one before it was committed as the sequence it planned on,
/// so nothing is committed on a plan whose basis failed. A batch is acked only once its commit is confirmed and
/// its view published; on any other answer every staged view is taken back and the batches behind it are
/// planned again.
/// </summary>
public sealed partial class ReplicatedIndex
{
    // Commits in flight at once, and batches a burst takes before it lets the follow loop, a number switch or a
    // checkpoint have the writer's turn.
    private const int PipelineDepth = 2;
    private const int BurstBatches = 64;

    private readonly Channel<PendingBatch> _pending = Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true });

    // A batch waiting for the pipeline: how to plan it on a view, and what was read for it on arrival.
    private sealed record PendingBatch(string BatchId, string ContentHash, Func<EirView, Task<BatchPlan>> Plan, Task<PrefetchedDevices?>? Prefetched, CancellationToken Ct)
    {
        public TaskCompletionSource<BatchOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Attempts { get; set; }
    }

    private sealed record InFlight(PendingBatch Batch, BatchPlan Plan, EirView Staged, Task<CommitResult> Commit);

    /// <summary>
    /// Validates, commits and applies one registry batch; the ack may be sent once this returns Accepted. Batches
    /// are taken in the order of the calls. <paramref name="prefetched"/> (from <see cref="PrefetchAsync"/>) is
    /// used if it can be brought to the sequence the batch is planned on; otherwise the records are read again.
    /// </summary>
    public Task<BatchOutcome> ApplyBatchAsync(string batchId, string contentHash, IReadOnlyList<RegistryDelta> deltas, CancellationToken ct, Task<PrefetchedDevices?>? prefetched = null)
        => EnqueueAsync(
            batchId,
            contentHash,
            async view => _planner.Plan(deltas, view, NeedsDevices(deltas) ? await DevicesForAsync(deltas, view, prefetched).ConfigureAwait(false) : new InMemoryDeviceDirectory()),
            prefetched,
            ct);

    // Every write of the node (registry batches, number switches, amnesty bindings) is one sequence through here.
    private Task<BatchOutcome> EnqueueAsync(string batchId, string contentHash, Func<EirView, Task<BatchPlan>> plan, Task<PrefetchedDevices?>? prefetched, CancellationToken ct)
    {
        if (!_index.IsLoaded)
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node has not loaded its data yet"));
        }

        if (_divergence is { } reason)
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + reason));
        }

        var batch = new PendingBatch(batchId, contentHash, plan, prefetched, ct);
        if (!_pending.Writer.TryWrite(batch))
        {
            return Task.FromResult(BatchOutcome.Fail(BatchStatus.Unavailable, "the node is shutting down"));
        }

        return batch.Done.Task;
    }

    private async Task PipelineLoopAsync(CancellationToken stop)
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

                await _gate.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    await BurstAsync(retry).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
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

    // Caller holds the gate.
    private async Task BurstAsync(LinkedList<PendingBatch> retry)
    {
        var inFlight = new Queue<InFlight>();
        var taken = 0;
        try
        {
            await CatchUpAsync().ConfigureAwait(false);
            var depth = _options.AckReplicas > 0 ? 1 : PipelineDepth;
            while (true)
            {
                while (inFlight.Count < depth && taken < BurstBatches && TryNext(retry, out var batch))
                {
                    taken++;
                    BatchOutcome? outcome;
                    try
                    {
                        outcome = await StartAsync(batch, inFlight).ConfigureAwait(false);
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
                    if (retry.Count > 0 && taken < BurstBatches)
                    {
                        continue;
                    }

                    return;
                }

                var head = inFlight.Peek();
                var result = await head.Commit.ConfigureAwait(false);
                inFlight.Dequeue();
                if (result.Status == CommitStatus.Committed)
                {
                    _index.Publish(head.Staged);
                    _mutationsSinceCheckpoint += head.Plan.Mutations.Count;
                    foreach (var (imei, sub) in head.Plan.GraceMarksConsumed)
                    {
                        _marks.Remove(imei, sub);
                    }

                    head.Batch.Done.TrySetResult(await AcknowledgeAsync(result.Sequence, head.Plan).ConfigureAwait(false));
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

                        await CatchUpAsync().ConfigureAwait(false);
                        break;
                    case CommitStatus.SequenceMoved:
                        Diverge($"Redis is at sequence {result.Sequence}, behind this node's {_index.Current.Sequence}");
                        head.Batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + _divergence));
                        break;
                    default:
                        Diverge("Redis' history is not this node's (epoch missing or changed)");
                        head.Batch.Done.TrySetResult(BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + _divergence));
                        break;
                }
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

    private static bool IsStorageFailure(Exception ex)
        => ex is RedisException or StoreUnavailableException or TimeoutException or InvalidOperationException { InnerException: RedisException };

    // Returned by StartAsync for a known batch id while commits are in flight.
    private static readonly BatchOutcome Deferred = BatchOutcome.Fail(BatchStatus.Unavailable, "deferred");

    // Plans the batch on the newest view, stages it and sends its commit; or returns its outcome when no commit
    // is needed.
    private async Task<BatchOutcome?> StartAsync(PendingBatch batch, Queue<InFlight> inFlight)
    {
        if (batch.Ct.IsCancellationRequested)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable, "the request was cancelled");
        }

        if (_divergence is { } reason)
        {
            return BatchOutcome.Fail(BatchStatus.Refused, "sync refused: " + reason);
        }

        // Whether the batch id is known was read on arrival, beside its device records (a read sent now would wait
        // behind the commit in flight). A retry of a batch still in flight is not known yet then: its commit answers
        // "duplicate", or, if it no longer plans as valid, the id is read again below.
        var early = batch.Prefetched is null ? null : await batch.Prefetched.ConfigureAwait(false);
        var known = early is not null ? early.KnownBatch : await _store.GetBatchAsync(batch.BatchId).ConfigureAwait(false);
        if (known is { } k)
        {
            // The original may be one of the commits in flight: answer once they are in.
            return inFlight.Count > 0
                ? Deferred
                : await DuplicateAsync(batch.BatchId, batch.ContentHash, k.Sequence, k.Hash).ConfigureAwait(false);
        }

        var basis = _index.Head;
        var plan = await batch.Plan(basis).ConfigureAwait(false);
        if (!plan.IsValid)
        {
            if (early is not null && await _store.GetBatchAsync(batch.BatchId).ConfigureAwait(false) is { } again)
            {
                return inFlight.Count > 0
                    ? Deferred
                    : await DuplicateAsync(batch.BatchId, batch.ContentHash, again.Sequence, again.Hash).ConfigureAwait(false);
            }

            return new BatchOutcome(BatchStatus.Rejected, 0, plan.Errors, "", []);
        }

        var at = _time.GetUtcNow();
        var staged = _index.Stage(basis.Sequence + 1, CollectionsMarshal.AsSpan(plan.Mutations), at);
        RememberOwnCommit(staged.Sequence, plan);
        var predecessor = inFlight.Count > 0 ? inFlight.Last() : null;
        var commit = _store.CommitAsync(
            basis.Sequence,
            _epoch!,
            batch.BatchId,
            batch.ContentHash,
            plan,
            at.UtcTicks,
            predecessor is null ? null : (predecessor.Batch.BatchId, predecessor.Batch.ContentHash));
        inFlight.Enqueue(new InFlight(batch, plan, staged, commit));
        return null;
    }

    private async Task<BatchOutcome> AcknowledgeAsync(long sequence, BatchPlan plan)
    {
        var replicas = await _store.WaitForReplicasAsync().ConfigureAwait(false);
        if (replicas < _options.AckReplicas)
        {
            return BatchOutcome.Fail(BatchStatus.Unavailable,
                $"written to the Redis primary as sequence {sequence} but only {replicas} of {_options.AckReplicas} replicas confirmed; retry with the same batch_id");
        }

        return new BatchOutcome(BatchStatus.Accepted, sequence, [], "", plan.SwitchedImeis);
    }

    // Discards every staged view and forgets their device changes; the batches in flight (whose commits Redis
    // refuses behind the failed one) go back to the front of the line, in order, unless retry is null.
    private async Task TakeBackAsync(Queue<InFlight> inFlight, LinkedList<PendingBatch>? retry)
    {
        _index.DiscardStaged();
        var current = _index.Current.Sequence;
        foreach (var seq in _ownCommits.Keys.Where(s => s > current).ToList())
        {
            _ownCommits.Remove(seq);
        }

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
}
