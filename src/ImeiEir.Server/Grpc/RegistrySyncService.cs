using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Registry;
using ImeiEir.Storage;

namespace ImeiEir.Server.Grpc;

/// <summary>Bulk delta sync: one ack per batch, in order; UNAVAILABLE (nothing acked) when Redis cannot take it.</summary>
internal sealed class RegistrySyncService : RegistrySync.RegistrySyncBase
{
    private readonly ReplicatedIndex _replica;
    private readonly RedisOptions _options;

    public RegistrySyncService(ReplicatedIndex replica, RedisOptions options)
    {
        _replica = replica;
        _options = options;
    }

    public override async Task Apply(IAsyncStreamReader<DeltaBatch> requestStream, IServerStreamWriter<BatchAck> responseStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var ack = await ApplyOneAsync(requestStream.Current, context.CancellationToken).ConfigureAwait(false);
            await responseStream.WriteAsync(ack).ConfigureAwait(false);
        }
    }

    private async Task<BatchAck> ApplyOneAsync(DeltaBatch batch, CancellationToken ct)
    {
        var ack = new BatchAck { BatchId = batch.BatchId };
        if (string.IsNullOrWhiteSpace(batch.BatchId))
        {
            ack.Error = "batch_id is empty";
            return ack;
        }

        if (batch.BatchId.Length > BatchPlanner.MaxIdLength || batch.BatchId.Any(char.IsControl))
        {
            ack.Error = $"batch_id must be at most {BatchPlanner.MaxIdLength} printable characters";
            return ack;
        }

        if (batch.Deltas.Count == 0)
        {
            ack.Error = "deltas is empty";
            return ack;
        }

        if (batch.Deltas.Count > _options.MaxBatchDeltas)
        {
            ack.Error = $"batch has {batch.Deltas.Count} deltas; at most {_options.MaxBatchDeltas} are allowed (Redis:MaxBatchDeltas); nothing was applied";
            return ack;
        }

        var deltas = batch.Deltas.Select(ProtoMapping.ToCore).ToList();
        var outcome = await _replica.ApplyBatchAsync(batch.BatchId, ProtoMapping.ContentHash(batch), deltas!, ct).ConfigureAwait(false);
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
                throw new RpcException(new Status(StatusCode.Unavailable, $"batch '{batch.BatchId}' not applied: {outcome.Error}"));
        }
    }

    public override Task<SyncState> GetSyncState(GetSyncStateRequest request, ServerCallContext context)
    {
        if (!_replica.IsLoaded)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the node has not loaded its data yet"));
        }

        var view = _replica.Index.Current;
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
}
