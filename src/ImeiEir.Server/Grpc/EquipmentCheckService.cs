using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;
using ImeiEir.Server.Overload;

namespace ImeiEir.Server.Grpc;

/// <summary>
/// The check API: request → parse → core → reply. Bad input in a unary call is INVALID_ARGUMENT naming the field.
/// Calls pass the overload gate before they get here (Overload/CheckAdmission); a stream is also gated per message.
/// </summary>
internal sealed class EquipmentCheckService : EquipmentCheck.EquipmentCheckBase
{
    /// <summary>Most items in one CheckBatch.</summary>
    public const int MaxBatchItems = 10_000;

    /// <summary>CheckBatch looks at its deadline every this many items (a clock read is ~25 ns, an item ~300 ns).</summary>
    private const int DeadlineCheckEvery = 256;

    private readonly EquipmentChecker _checker;
    private readonly EirMetrics _metrics;
    private readonly OverloadGate _gate;

    public EquipmentCheckService(EquipmentChecker checker, EirMetrics metrics, OverloadGate gate)
    {
        _checker = checker;
        _metrics = metrics;
        _gate = gate;
    }

    public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        EnsureReady();
        var started = _metrics.Start();
        var result = _checker.Check(request.Imei, request.Msisdn, request.Imsi, CheckInterface.Grpc);
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
        var deadline = context.Deadline;
        foreach (var item in request.Requests)
        {
            // Past its deadline the caller has the call's DEADLINE_EXCEEDED already (Grpc.AspNetCore): stop working.
            if (deadline != DateTime.MaxValue && response.Responses.Count % DeadlineCheckEvery == 0 && DateTime.UtcNow >= deadline)
            {
                _gate.Refused((int)CheckInterface.Grpc, ShedReason.Deadline);
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"deadline passed after {response.Responses.Count} of {request.Requests.Count} items"));
            }

            var result = _checker.Check(item.Imei, item.Msisdn, item.Imsi, CheckInterface.Grpc);
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
            // Answers are in request order, so the caller knows that every request after the last answer was not
            // checked and can send them to another node.
            if (_gate.ShouldShed(CheckInterface.Grpc))
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, "EIR node overloaded: the stream ends here; requests after the last answer were not checked, retry them on another node"));
            }

            var item = requestStream.Current;
            var started = _metrics.Start();
            var result = _checker.Check(item.Imei, item.Msisdn, item.Imsi, CheckInterface.Grpc);
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
