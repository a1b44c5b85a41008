using Grpc.Core;
using Grpc.Net.Client;

namespace ImeiEir.LoadTest.Cli;

/// <summary>
/// The gRPC channels to one node: <c>--channels</c> independent channels, each its own HTTP/2 connection (its own
/// <see cref="SocketsHttpHandler"/>), and the <c>authorization: Bearer</c> header when <c>--key</c> is given.
/// </summary>
internal sealed class GrpcTarget : IDisposable
{
    private readonly GrpcChannel[] _channels;

    public GrpcTarget(string address, int channels, string apiKey)
    {
        Address = address;
        _channels = new GrpcChannel[Math.Max(1, channels)];
        for (var i = 0; i < _channels.Length; i++)
        {
            _channels[i] = Create(address);
        }

        Headers = apiKey.Length == 0 ? null : new Metadata { { "authorization", "Bearer " + apiKey } };
    }

    public string Address { get; }

    public int Count => _channels.Length;

    /// <summary>Sent with every call (null: no key).</summary>
    public Metadata? Headers { get; }

    public GrpcChannel this[int i] => _channels[i % _channels.Length];

    public CallOptions Options(CancellationToken ct = default) => new(headers: Headers, cancellationToken: ct);

    public static GrpcChannel Create(string address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // One connection per channel unless the server's stream limit is reached (then a second one opens
            // rather than queueing calls in the client, which would hide server latency behind client waits).
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            // Big CheckBatch responses (10 000 items) should not stall on the 64 KiB default stream window.
            InitialHttp2StreamWindowSize = 4 << 20,
        },
        MaxReceiveMessageSize = 256 << 20,
        MaxSendMessageSize = 256 << 20,
    });

    public void Dispose()
    {
        foreach (var c in _channels)
        {
            c.Dispose();
        }
    }
}
