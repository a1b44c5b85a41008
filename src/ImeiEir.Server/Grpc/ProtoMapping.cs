using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ProtoStatus = ImeiEir.Contracts.V1.EquipmentStatus;

namespace ImeiEir.Server.Grpc;

/// <summary>Between the contract's messages and the core's types. The enum numbers are equal by design.</summary>
internal static class ProtoMapping
{
    public static CheckResponse ToResponse(in CheckResult result, ulong correlationId)
    {
        var response = new CheckResponse { CorrelationId = correlationId };
        if (!result.IsValid)
        {
            response.Reason = Contracts.V1.Reason.InvalidRequest;
            response.Error = result.ErrorMessage;
            return response;
        }

        var d = result.Decision;
        response.Verdict = (Contracts.V1.Verdict)d.Verdict;
        response.EquipmentStatus = (ProtoStatus)d.Status;
        response.Reason = (Contracts.V1.Reason)d.Reason;
        response.Sequence = (ulong)result.Sequence;
        if (d.GraceExpiresAtTicks != 0)
        {
            response.GraceExpiresAt = Timestamp.FromDateTimeOffset(d.GraceExpiresAt!.Value);
        }

        return response;
    }

    public static RegistryDelta? ToCore(Delta delta) => delta.ChangeCase switch
    {
        Delta.ChangeOneofCase.RegisterDevice => new RegisterDeviceDelta(delta.RegisterDevice.DeviceId, delta.RegisterDevice.Imeis),
        Delta.ChangeOneofCase.UnregisterDevice => new UnregisterDeviceDelta(delta.UnregisterDevice.DeviceId),
        Delta.ChangeOneofCase.Bind => new BindDelta(delta.Bind.Imei, delta.Bind.Msisdn, delta.Bind.Imsi),
        Delta.ChangeOneofCase.Unbind => new UnbindDelta(delta.Unbind.Imei, delta.Unbind.Msisdn, delta.Unbind.Imsi),
        Delta.ChangeOneofCase.ReportStolen => new ReportStolenDelta(delta.ReportStolen.Imei, delta.ReportStolen.CaseReference),
        Delta.ChangeOneofCase.ClearStolen => new ClearStolenDelta(delta.ClearStolen.Imei),
        Delta.ChangeOneofCase.UpsertSubscriber => new UpsertSubscriberDelta(delta.UpsertSubscriber.Imsi, delta.UpsertSubscriber.Msisdn),
        Delta.ChangeOneofCase.RemoveSubscriber => new RemoveSubscriberDelta(delta.RemoveSubscriber.Imsi),
        Delta.ChangeOneofCase.SwitchNumber => new SwitchNumberDelta(delta.SwitchNumber.PreviousMsisdn, delta.SwitchNumber.NewMsisdn, delta.SwitchNumber.Imei),
        _ => null,
    };

    /// <summary>
    /// XXH128 of the deltas' wire form, each prefixed by its length: the same content retried gives the same hash.
    /// It tells a retry from a reused batch id (a mistake, not an attack: the sender is an authenticated registry).
    /// </summary>
    public static string ContentHash(DeltaBatch batch)
    {
        var hash = new XxHash128();
        var buffer = new ArrayBufferWriter<byte>(256);
        Span<byte> length = stackalloc byte[4];
        foreach (var d in batch.Deltas)
        {
            buffer.ResetWrittenCount();
            d.WriteTo(buffer);
            BinaryPrimitives.WriteInt32LittleEndian(length, buffer.WrittenCount);
            hash.Append(length);
            hash.Append(buffer.WrittenSpan);
        }

        Span<byte> digest = stackalloc byte[16];
        hash.GetCurrentHash(digest);
        return Convert.ToHexStringLower(digest);
    }
}
