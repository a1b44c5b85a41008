using Grpc.Core;
using Grpc.Net.Client;

namespace ImeiEir.LoadTest.Cli;

/// <summary>
/// The gRPC channels to one node: <c>--channels</c> independent channels, each its own HTTP/2 connection (its own
/// <see cref="SocketsHttpHandler"/>), and the <c>authorization: Bearer</c> header when <c>--key</c> is given (an API key,
/// or on N5g-eir an NRF access token: the node tells them apart by the JWT's shape). Over <c>https://</c>, TLS as
/// <see cref="ClientTls"/> says. N5g-eir load uses plain HTTP/2 clients over the same kind of handler.
/// </summary>
internal sealed class GrpcTarget : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly HttpMessageInvoker?[] _http;
    private readonly ClientTls _tls;

    public GrpcTarget(string address, int channels, string apiKey, ClientTls? tls = null)
    {
        Address = address;
        _tls = tls ?? ClientTls.None;
        _channels = new GrpcChannel[Math.Max(1, channels)];
        _http = new HttpMessageInvoker?[_channels.Length];
        for (var i = 0; i < _channels.Length; i++)
        {
            _channels[i] = Create(address, _tls);
        }

        Authorization = apiKey.Length == 0 ? null : "Bearer " + apiKey;
        Headers = Authorization is null ? null : new Metadata { { "authorization", Authorization } };
    }

    public string Address { get; }

    public int Count => _channels.Length;

    /// <summary>Sent with every call (null: no key).</summary>
    public Metadata? Headers { get; }

    /// <summary>The <c>authorization</c> header's value (null: no key).</summary>
    public string? Authorization { get; }

    public GrpcChannel this[int i] => _channels[i % _channels.Length];

    /// <summary>An HTTP/2 client of channel <paramref name="i"/>'s own connection (N5g-eir), made on first use.</summary>
    public HttpMessageInvoker Http(int i)
    {
        i %= _http.Length;
        return _http[i] ??= new HttpMessageInvoker(Handler(_tls), disposeHandler: true);
    }

    public CallOptions Options(CancellationToken ct = default) => new(headers: Headers, cancellationToken: ct);

    public static GrpcChannel Create(string address, ClientTls? tls = null) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = Handler(tls ?? ClientTls.None),
        MaxReceiveMessageSize = 256 << 20,
        MaxSendMessageSize = 256 << 20,
    });

    private static SocketsHttpHandler Handler(ClientTls tls)
    {
        var handler = new SocketsHttpHandler
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
        };
        if (tls.Options() is { } ssl)
        {
            handler.SslOptions = ssl;
        }

        return handler;
    }

    public void Dispose()
    {
        foreach (var c in _channels)
        {
            c.Dispose();
        }

        foreach (var h in _http)
        {
            h?.Dispose();
        }
    }
}
