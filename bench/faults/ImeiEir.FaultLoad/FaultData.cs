using Grpc.Core;
using Grpc.Net.Client;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;

namespace ImeiEir.FaultLoad;

/// <summary>
/// The suite's data: seeded devices (reporting body 93, which no other data set here uses) the check load asks
/// about, expecting ALLOW; unknown IMEIs (body 92, never registered) expecting DENY; and the sync load's devices
/// (body 94, one run's salt apart), which the check load never asks about.
/// </summary>
internal static class FaultData
{
    public static string SeededImei(int i) => new ImeiKey(93_000_000_000_000L + i).ToString15();

    public static string UnknownImei(int i) => new ImeiKey(92_000_000_000_000L + i).ToString15();

    public static string SyncImei(long salt, long n) => new ImeiKey(94_000_000_000_000L + (salt % 1_000_000 * 1_000_000) + n).ToString15();

    public static GrpcChannel Channel(string url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            // A node that went away must be noticed (and reconnected to) within seconds, not at the OS's TCP timeout.
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
    });

    public static Metadata Auth(string key) => key.Length == 0 ? [] : new Metadata { { "authorization", "Bearer " + key } };

    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
