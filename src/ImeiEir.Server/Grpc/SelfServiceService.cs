using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Registry;
using ImeiEir.Storage;

namespace ImeiEir.Server.Grpc;

/// <summary>Device status and NUMBER SWITCH for the USSD gateway and operator apps.</summary>
internal sealed class SelfServiceService : SelfService.SelfServiceBase
{
    private const int MaxMaskedNumbers = 10;
    private const string SwitchPrefix = "switch_number.";

    private readonly ReplicatedIndex _replica;

    public SelfServiceService(ReplicatedIndex replica) => _replica = replica;

    public override async Task<DeviceStatusResponse> GetDeviceStatus(DeviceStatusRequest request, ServerCallContext context)
    {
        EnsureReady();
        var status = ImeiParser.TryParse(request.Imei, out var imei);
        if (status != ParseStatus.Ok)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "imei " + ParseStatusText.DescribeImei(status)));
        }

        var key = imei.Key.Value;
        var view = _replica.Index.Current;
        var response = new DeviceStatusResponse
        {
            Registered = view.IsRegistered(key),
            Stolen = view.IsStolen(key),
        };
        var numbers = new SortedSet<long>();
        foreach (var r in view.GetBindings(key).Records)
        {
            if (r.Msisdn != 0)
            {
                numbers.Add(r.Msisdn);
            }
        }

        response.BoundNumbers = (uint)numbers.Count;
        response.BoundNumbersMasked.AddRange(numbers.Take(MaxMaskedNumbers).Select(n => new Msisdn(n).ToMasked()));
        if (response.Registered)
        {
            try
            {
                response.DeviceId = await _replica.Store.GetDeviceOfAsync(key).ConfigureAwait(false) ?? "";
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or StoreUnavailableException or TimeoutException)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "the device registry (Redis) is unavailable; retry"));
            }
        }

        return response;
    }

    public override async Task<SwitchNumberResponse> SwitchNumber(SwitchNumberRequest request, ServerCallContext context)
    {
        EnsureReady();
        var outcome = await _replica.SwitchNumberAsync(new SwitchNumberDelta(request.PreviousMsisdn, request.NewMsisdn, request.Imei), context.CancellationToken).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case BatchStatus.Accepted:
                var response = new SwitchNumberResponse { Sequence = (ulong)outcome.Sequence };
                response.SwitchedImeis.AddRange(outcome.SwitchedImeis.Select(i => new ImeiKey(i).ToString()));
                return response;
            case BatchStatus.Rejected:
                // The planner validates and tells malformed input from a state conflict; the request's fields are
                // the registry delta's without its "switch_number." prefix.
                var invalid = outcome.Errors.Any(e => e.Kind == DeltaErrorKind.Invalid);
                var detail = string.Join("; ", outcome.Errors.Select(e => e.Message.StartsWith(SwitchPrefix, StringComparison.Ordinal) ? e.Message[SwitchPrefix.Length..] : e.Message));
                throw new RpcException(new Status(invalid ? StatusCode.InvalidArgument : StatusCode.FailedPrecondition, detail));
            default:
                throw new RpcException(new Status(StatusCode.Unavailable, outcome.Error));
        }
    }

    private void EnsureReady()
    {
        if (!_replica.IsLoaded)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the node has not loaded its data yet"));
        }
    }
}
