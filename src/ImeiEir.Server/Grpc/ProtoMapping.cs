using System.Security.Cryptography;
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

    /// <summary>SHA-256 of the deltas' wire form: the same content retried gives the same hash.</summary>
    public static string ContentHash(DeltaBatch batch)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var d in batch.Deltas)
        {
            var bytes = d.ToByteArray();
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
