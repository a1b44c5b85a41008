using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.Grpc;

/// <summary>The check API: request → parse → core → reply. Bad input in a unary call is INVALID_ARGUMENT naming the field.</summary>
internal sealed class EquipmentCheckService : EquipmentCheck.EquipmentCheckBase
{
    /// <summary>Most items in one CheckBatch.</summary>
    public const int MaxBatchItems = 10_000;

    private readonly EquipmentChecker _checker;
    private readonly EirMetrics _metrics;

    public EquipmentCheckService(EquipmentChecker checker, EirMetrics metrics)
    {
        _checker = checker;
        _metrics = metrics;
    }

    public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        EnsureReady();
        var started = _metrics.Start();
        var result = _checker.Check(request.Imei, request.Msisdn, request.Imsi);
        _metrics.Checked(in result, started);
        if (!result.IsValid)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, result.ErrorMessage));
        }

        return Task.FromResult(ProtoMapping.ToResponse(in result, request.CorrelationId));
    }

    public override Task<CheckBatchResponse> CheckBatch(CheckBatchRequest request, ServerCallContext context)
    {
        EnsureReady();
        if (request.Requests.Count > MaxBatchItems)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"requests has {request.Requests.Count} items; at most {MaxBatchItems} are allowed"));
        }

        var started = _metrics.Start();
        var response = new CheckBatchResponse();
        response.Responses.Capacity = request.Requests.Count;
        foreach (var item in request.Requests)
        {
            var result = _checker.Check(item.Imei, item.Msisdn, item.Imsi);
            _metrics.Counted(in result);
            response.Responses.Add(ProtoMapping.ToResponse(in result, item.CorrelationId));
        }

        _metrics.Elapsed(started);
        return Task.FromResult(response);
    }

    public override async Task CheckStream(IAsyncStreamReader<CheckRequest> requestStream, IServerStreamWriter<CheckResponse> responseStream, ServerCallContext context)
    {
        EnsureReady();
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var item = requestStream.Current;
            var started = _metrics.Start();
            var result = _checker.Check(item.Imei, item.Msisdn, item.Imsi);
            _metrics.Checked(in result, started);
            await responseStream.WriteAsync(ProtoMapping.ToResponse(in result, item.CorrelationId)).ConfigureAwait(false);
        }
    }

    private void EnsureReady()
    {
        if (!_checker.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the node has not loaded its data yet"));
        }
    }
}

/// <summary>
/// The transport baseline for load tests (<c>Benchmark:NoopCheck=true</c>): the same service and messages, no
/// work. Never enable it in production: it answers VERDICT_UNSPECIFIED.
/// </summary>
internal sealed class NoopEquipmentCheckService : EquipmentCheck.EquipmentCheckBase
{
    public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
        => Task.FromResult(new CheckResponse { CorrelationId = request.CorrelationId });

    public override Task<CheckBatchResponse> CheckBatch(CheckBatchRequest request, ServerCallContext context)
    {
        var response = new CheckBatchResponse();
        foreach (var item in request.Requests)
        {
            response.Responses.Add(new CheckResponse { CorrelationId = item.CorrelationId });
        }

        return Task.FromResult(response);
    }

    public override async Task CheckStream(IAsyncStreamReader<CheckRequest> requestStream, IServerStreamWriter<CheckResponse> responseStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new CheckResponse { CorrelationId = requestStream.Current.CorrelationId }).ConfigureAwait(false);
        }
    }
}
