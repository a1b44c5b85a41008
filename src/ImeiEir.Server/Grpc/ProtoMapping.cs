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

    /// <summary>The batch's deltas packed (see <see cref="PackedDeltas"/>: the message can be dropped at once).</summary>
    public static PackedDeltas ToCore(DeltaBatch batch)
    {
        var packed = new PackedDeltas(batch.Deltas.Count);
        foreach (var d in batch.Deltas)
        {
            switch (d.ChangeCase)
            {
                case Delta.ChangeOneofCase.RegisterDevice: packed.AddRegisterDevice(d.RegisterDevice.DeviceId, d.RegisterDevice.Imeis); break;
                case Delta.ChangeOneofCase.UnregisterDevice: packed.AddUnregisterDevice(d.UnregisterDevice.DeviceId); break;
                case Delta.ChangeOneofCase.Bind: packed.AddBind(d.Bind.Imei, d.Bind.Msisdn, d.Bind.Imsi); break;
                case Delta.ChangeOneofCase.Unbind: packed.AddUnbind(d.Unbind.Imei, d.Unbind.Msisdn, d.Unbind.Imsi); break;
                case Delta.ChangeOneofCase.ReportStolen: packed.AddReportStolen(d.ReportStolen.Imei, d.ReportStolen.CaseReference); break;
                case Delta.ChangeOneofCase.ClearStolen: packed.AddClearStolen(d.ClearStolen.Imei); break;
                case Delta.ChangeOneofCase.UpsertSubscriber: packed.AddUpsertSubscriber(d.UpsertSubscriber.Imsi, d.UpsertSubscriber.Msisdn); break;
                case Delta.ChangeOneofCase.RemoveSubscriber: packed.AddRemoveSubscriber(d.RemoveSubscriber.Imsi); break;
                case Delta.ChangeOneofCase.SwitchNumber: packed.AddSwitchNumber(d.SwitchNumber.PreviousMsisdn, d.SwitchNumber.NewMsisdn, d.SwitchNumber.Imei); break;
                default: packed.AddEmpty(); break;
            }
        }

        return packed;
    }


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
