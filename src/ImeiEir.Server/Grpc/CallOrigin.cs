using System.Net;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Registry;

namespace ImeiEir.Server.Grpc;

/// <summary>Who made a call, for the audit trail (docs/audit.md): the credential's client name and the peer's address.</summary>
internal static class CallOrigin
{
    /// <summary>The origin of a <c>RegistrySync.Apply</c> batch: its deltas counted by kind.</summary>
    public static ChangeOrigin OfBatch(ServerCallContext context, PackedDeltas deltas)
    {
        var (client, address) = Of(context);
        return new ChangeOrigin(client, address, ChangeSource.Sync, deltas.CountByKind());
    }

    /// <summary>The origin of a <c>SelfService.SwitchNumber</c>.</summary>
    public static ChangeOrigin OfSwitch(ServerCallContext context)
    {
        var (client, address) = Of(context);
        return ChangeOrigin.SelfServiceSwitch(client, address);
    }

    private static (string Client, string Address) Of(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var client = http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : "";
        var connection = http.Connection;
        var address = connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, connection.RemotePort).ToString() : "";
        return (client, address);
    }
}
