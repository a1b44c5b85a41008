using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImeiEir.Diameter;

/// <summary>
/// The S13/S13' Diameter server: a TCP listener whose every connection is served by one <c>DiameterConnection</c>
/// over the shared verdict engine. A hosted service: <see cref="StartAsync"/> binds (nothing when
/// <see cref="DiameterOptions.Listen"/> is empty), <see cref="StopAsync"/> stops accepting, sends DPR to the open
/// peers, and closes every connection.
/// </summary>
public sealed class DiameterServer : IHostedService, IAsyncDisposable
{
    private readonly DiameterOptions _options;
    private readonly EquipmentChecker _checker;
    private readonly ILogger<DiameterServer> _logger;
    private readonly DiameterMetrics _metrics;
    private readonly ConcurrentDictionary<DiameterConnection, Task> _connections = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private DiameterHandler? _handler;

    /// <param name="meterFactory">Where metrics go (meter <c>ImeiEir</c>); without one the server uses a meter of its own.</param>
    public DiameterServer(IOptions<DiameterOptions> options, EquipmentChecker checker, ILogger<DiameterServer> logger, IMeterFactory? meterFactory = null)
    {
        _options = options.Value;
        _checker = checker;
        _logger = logger;
        _metrics = new DiameterMetrics(meterFactory);
    }

    /// <summary>The endpoint bound, once started (its port is the real one when <c>Listen</c> asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The port bound, or 0 when not listening.</summary>
    public int Port => LocalEndPoint?.Port ?? 0;

    /// <summary>Connections currently open (diagnostics).</summary>
    public int ConnectionCount => _connections.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (_listener is not null)
        {
            throw new InvalidOperationException("The Diameter server is already started.");
        }

        // Origin-State-Id: changes on every start so peers can tell we restarted (RFC 6733 §8.16).
        var originStateId = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        _handler = new DiameterHandler(_options, _checker, _logger, _metrics, originStateId);

        var endPoint = DiameterOptions.ParseListen(_options.Listen);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        DiameterLog.Listening(_logger, LocalEndPoint, _options.OriginHost, _options.OriginRealm);
        _acceptLoop = AcceptLoopAsync(listener, _handler);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var listener = Interlocked.Exchange(ref _listener, null);
        if (listener is null)
        {
            return;
        }

        listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.RequestDisconnect();
        }

        // Give open peers their DPR/DPA exchange, then close whatever is left.
        var all = Task.WhenAll(_connections.Values);
        var grace = _options.DisconnectTimeout + TimeSpan.FromSeconds(1);
        try
        {
            await all.WaitAsync(grace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Abort();
            }

            await all.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }

        DiameterLog.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _metrics.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, DiameterHandler handler)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection that failed between SYN and accept: keep accepting the others.
                DiameterLog.AcceptFailed(_logger, ex);
                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                DiameterLog.TooManyConnections(_logger, socket.RemoteEndPoint?.ToString() ?? "?", _options.MaxConnections);
                socket.Dispose();
                continue;
            }

            // Request/answer traffic: send each flush at once rather than waiting for more bytes.
            socket.NoDelay = true;
            var connection = new DiameterConnection(socket, handler, _options, _logger, _metrics);
            _connections[connection] = RunConnectionAsync(connection);
        }
    }

    private async Task RunConnectionAsync(DiameterConnection connection)
    {
        // Run off the accept loop's thread so a busy connection never delays the next accept.
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One connection's bug must not take the listener down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DiameterLog.ConnectionFailed(_logger, connection.Remote, ex);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }
}
