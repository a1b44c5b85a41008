using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using ImeiEir.Storage;
using ImeiEir.Storage.Audit;
using StackExchange.Redis;

namespace ImeiEir.Server.Grpc;

/// <summary>Bulk delta sync: one ack per batch, in order; UNAVAILABLE (nothing acked) when Redis cannot take it.</summary>
internal sealed class RegistrySyncService : RegistrySync.RegistrySyncBase
{
    private readonly IRegistryWriter _writer;
    private readonly EirIndex _index;
    private readonly RedisOptions _options;
    private readonly AuditTrail _audit;

    public RegistrySyncService(IRegistryWriter writer, EirIndex index, RedisOptions options, AuditTrail audit)
    {
        _writer = writer;
        _index = index;
        _options = options;
        _audit = audit;
    }

    public override async Task Apply(IAsyncStreamReader<DeltaBatch> requestStream, IServerStreamWriter<BatchAck> responseStream, ServerCallContext context)
    {
        // Batches are submitted as they arrive (the node plans batch N+1 while N commits; it takes them in this
        // order), at most WriteFlowControl.MaxOutstandingPerStream at once; acks are written in the same order by a writer of their own, as
        // their batches finish (a client may wait for an ack before it sends the next batch).
        var acks = Channel.CreateUnbounded<Task<BatchAck>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var writer = WriteAcksAsync(acks.Reader, responseStream, stop);
        var outstanding = new Queue<Task<BatchAck>>();
        try
        {
            var failed = false;
            while (!failed)
            {
                // Room first: the next batch is read (parsed) only once it can be submitted, so a stream holds at most
                // MaxOutstandingPerStream batches in memory and HTTP/2 flow control holds the rest back.
                while (outstanding.Count >= WriteFlowControl.MaxOutstandingPerStream || (outstanding.Count > 0 && outstanding.Peek().IsCompleted))
                {
                    var oldest = outstanding.Dequeue();
                    await ((Task)oldest).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (!oldest.IsCompletedSuccessfully)
                    {
                        // UNAVAILABLE (or cancelled): the writer ends the call with it; nothing more is submitted.
                        failed = true;
                        break;
                    }
                }

                if (failed || !await requestStream.MoveNext(stop.Token).ConfigureAwait(false))
                {
                    break;
                }

                var next = Prepare(requestStream.Current, context);
                var ack = next.Ack is { } refused
                    ? Task.FromResult(refused)
                    : CommitAsync(next, context.CancellationToken);
                outstanding.Enqueue(ack);
                acks.Writer.TryWrite(ack);
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // The writer stopped the reading: a batch failed, and its error ends the call below.
        }
        finally
        {
            acks.Writer.TryComplete();
            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await writer.ConfigureAwait(false);
    }

    private static async Task WriteAcksAsync(ChannelReader<Task<BatchAck>> acks, IServerStreamWriter<BatchAck> responseStream, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var ack in acks.ReadAllAsync().ConfigureAwait(false))
            {
                await responseStream.WriteAsync(await ack.ConfigureAwait(false)).ConfigureAwait(false);
            }
        }
        catch
        {
            // Nothing more is read once an ack cannot be given: the call ends with this error.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    // What is kept of a batch until it is answered: its deltas packed, not the message (as objects, the batches in
    // flight outlived the youngest GC generation and each collection of a sync copied them: see PackedDeltas).
    private readonly record struct Prepared(string BatchId, BatchAck? Ack, PackedDeltas? Deltas, string? Hash, ChangeOrigin? Origin = null);

    // What can be decided without the index: an ack refusing the batch, or the batch mapped and hashed.
    private Prepared Prepare(DeltaBatch batch, ServerCallContext context)
    {
        Prepared Refuse(string error) => new(batch.BatchId, new BatchAck { BatchId = batch.BatchId, Error = error }, null, null);
        if (string.IsNullOrWhiteSpace(batch.BatchId))
        {
            return Refuse("batch_id is empty");
        }

        if (batch.BatchId.Length > BatchPlanner.MaxIdLength || batch.BatchId.Any(char.IsControl))
        {
            return Refuse($"batch_id must be at most {BatchPlanner.MaxIdLength} printable characters");
        }

        if (batch.Deltas.Count == 0)
        {
            return Refuse("deltas is empty");
        }

        if (batch.Deltas.Count > _options.MaxBatchDeltas)
        {
            return Refuse($"batch has {batch.Deltas.Count} deltas; at most {_options.MaxBatchDeltas} are allowed (Redis:MaxBatchDeltas); nothing was applied");
        }

        var deltas = ProtoMapping.ToCore(batch);
        var prepared = new Prepared(batch.BatchId, null, deltas, ProtoMapping.ContentHash(batch), CallOrigin.OfBatch(context, deltas));
        // The parsed deltas' array is a large object (16 384 slots for 10 000 deltas): collected only by a full
        // collection, it would keep every Delta it points to alive through the young generations' collections (they
        // take its references as roots), copying each batch twice. Emptied, it points to nothing.
        batch.Deltas.Clear();
        return prepared;
    }

    private async Task<BatchAck> CommitAsync(Prepared prepared, CancellationToken ct)
    {
        var ack = new BatchAck { BatchId = prepared.BatchId };
        BatchOutcome outcome;
        using (prepared.Deltas)
        {
            // Submitted now (the writer starts reading for it at once); awaited in turn. Once answered, the pipeline
            // reads the deltas no more (it plans a batch again only before answering it): their buffers go back.
            outcome = await _writer.ApplyBatchAsync(prepared.BatchId, prepared.Hash!, prepared.Deltas!, prepared.Origin!, ct).ConfigureAwait(false);
        }

        switch (outcome.Status)
        {
            case BatchStatus.Accepted:
            case BatchStatus.Duplicate:
                ack.Accepted = true;
                ack.Duplicate = outcome.Status == BatchStatus.Duplicate;
                ack.Sequence = (ulong)outcome.Sequence;
                return ack;
            case BatchStatus.Rejected:
                ack.Errors.AddRange(outcome.Errors.Select(e => new Contracts.V1.DeltaError { Index = (uint)e.Index, Message = e.Message }));
                ack.Error = $"{outcome.Errors.Count} invalid delta(s); nothing was applied";
                return ack;
            case BatchStatus.IdReused:
                ack.Error = outcome.Error;
                return ack;
            default:
                throw new RpcException(new Status(StatusCode.Unavailable, $"batch '{prepared.BatchId}' not applied: {outcome.Error}"));
        }
    }

    public override Task<SyncState> GetSyncState(GetSyncStateRequest request, ServerCallContext context)
    {
        if (!_index.IsLoaded)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the node has not loaded its data yet"));
        }

        var view = _index.Current;
        var state = new SyncState
        {
            Sequence = (ulong)view.Sequence,
            RegisteredImeis = (ulong)view.Counts.RegisteredImeis,
            Bindings = (ulong)view.Counts.Bindings,
            StolenImeis = (ulong)view.Counts.StolenImeis,
            Subscribers = (ulong)view.Counts.Subscribers,
        };
        if (view.LastAppliedAt is { } at)
        {
            state.LastAppliedAt = Timestamp.FromDateTimeOffset(at);
        }

        return Task.FromResult(state);
    }

    public override async Task<GetAuditResponse> GetAudit(GetAuditRequest request, ServerCallContext context)
    {
        var (query, error) = AuditQuery.Create(
            request.Since?.ToDateTimeOffset(),
            request.Until?.ToDateTimeOffset(),
            request.FromSequence,
            request.ToSequence,
            request.PageSize,
            request.PageToken);
        if (query is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error));
        }

        AuditPage page;
        try
        {
            page = await _audit.ReadAsync(query).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or StoreUnavailableException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "audit trail not readable: " + StorageErrors.ForClient(ex)));
        }

        var response = new GetAuditResponse { NextPageToken = page.NextPageToken };
        foreach (var e in page.Entries)
        {
            var counts = new DeltaCounts
            {
                RegisterDevice = e.Counts[0],
                UnregisterDevice = e.Counts[1],
                Bind = e.Counts[2],
                Unbind = e.Counts[3],
                ReportStolen = e.Counts[4],
                ClearStolen = e.Counts[5],
                UpsertSubscriber = e.Counts[6],
                RemoveSubscriber = e.Counts[7],
                SwitchNumber = e.Counts[8],
            };
            response.Entries.Add(new AuditEntry
            {
                Sequence = (ulong)e.Sequence,
                BatchId = e.BatchId,
                Time = Timestamp.FromDateTimeOffset(e.Time),
                Client = e.Client,
                SourceAddress = e.SourceAddress,
                Source = (AuditSource)e.Source,
                Counts = counts,
                Node = e.Node,
            });
        }

        return response;
    }
}
