using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;

namespace ImeiEir.Server.Grpc;

/// <summary>Device status and NUMBER SWITCH for the USSD gateway and operator apps.</summary>
internal sealed class SelfServiceService : SelfService.SelfServiceBase
{
    private const int MaxMaskedNumbers = 10;
    private const string SwitchPrefix = "switch_number.";

    private readonly IRegistryWriter _writer;
    private readonly IDeviceStatusReader _devices;
    private readonly EirIndex _index;

    public SelfServiceService(IRegistryWriter writer, IDeviceStatusReader devices, EirIndex index)
    {
        _writer = writer;
        _devices = devices;
        _index = index;
    }

    public override async Task<DeviceStatusResponse> GetDeviceStatus(DeviceStatusRequest request, ServerCallContext context)
    {
        EnsureReady();
        var status = ImeiParser.TryParse(request.Imei, out var imei);
        if (status != ParseStatus.Ok)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "imei " + ParseStatusText.DescribeImei(status)));
        }

        DeviceStatus device;
        try
        {
            device = await _devices.GetAsync(imei.Key.Value, context.CancellationToken).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }

        var response = new DeviceStatusResponse
        {
            Registered = device.Registered,
            Stolen = device.Stolen,
            BoundNumbers = (uint)device.BoundMsisdns.Count,
            DeviceId = device.DeviceId,
        };
        response.BoundNumbersMasked.AddRange(device.BoundMsisdns.Take(MaxMaskedNumbers).Select(n => new Msisdn(n).ToMasked()));
        return response;
    }

    public override async Task<SwitchNumberResponse> SwitchNumber(SwitchNumberRequest request, ServerCallContext context)
    {
        EnsureReady();
        var outcome = await _writer.SwitchNumberAsync(new SwitchNumberDelta(request.PreviousMsisdn, request.NewMsisdn, request.Imei), CallOrigin.OfSwitch(context), context.CancellationToken).ConfigureAwait(false);
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
        if (!_index.IsLoaded)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the node has not loaded its data yet"));
        }
    }
}
