using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImeiEir.Diameter;

/// <summary>
/// The S13/S13' Diameter server: a cleartext TCP listener (<see cref="DiameterOptions.Listen"/>) and a TLS one
/// (<see cref="DiameterTlsOptions.Listen"/>), either or both, whose every connection is served by one
/// <c>DiameterConnection</c> over the shared verdict engine. A hosted service: <see cref="StartAsync"/> reads the TLS
/// files and binds (nothing when both are empty), <see cref="StopAsync"/> stops accepting, sends DPR to the open
/// peers, and closes every connection.
/// </summary>
public sealed class DiameterServer : IHostedService, IAsyncDisposable
{
    private readonly DiameterOptions _options;
    private readonly EquipmentChecker _checker;
    private readonly IOverloadGate? _gate;
    private readonly ILogger<DiameterServer> _logger;
    private readonly DiameterMetrics _metrics;
    private readonly ConcurrentDictionary<DiameterConnection, Task> _connections = new();
    private Socket? _listener;
    private Socket? _tlsListener;
    private Task? _acceptLoop;
    private Task? _tlsAcceptLoop;

    /// <param name="meterFactory">Where metrics go (meter <c>ImeiEir</c>); without one the server uses a meter of its own.</param>
    /// <param name="overloadGate">The host's overload gate: a MICR it sheds is answered 3004; without one nothing is shed.</param>
    public DiameterServer(IOptions<DiameterOptions> options, EquipmentChecker checker, ILogger<DiameterServer> logger, IMeterFactory? meterFactory = null, IOverloadGate? overloadGate = null)
    {
        _options = options.Value;
        _checker = checker;
        _gate = overloadGate;
        _logger = logger;
        _metrics = new DiameterMetrics(meterFactory);
    }

    /// <summary>The cleartext endpoint bound, once started (its port is the real one when <c>Listen</c> asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The cleartext port bound, or 0 when not listening in cleartext.</summary>
    public int Port => LocalEndPoint?.Port ?? 0;

    /// <summary>The TLS endpoint bound, once started with <c>Tls:Listen</c> set.</summary>
    public IPEndPoint? TlsLocalEndPoint { get; private set; }

    /// <summary>The TLS port bound, or 0 when not listening for TLS.</summary>
    public int TlsPort => TlsLocalEndPoint?.Port ?? 0;

    /// <summary>Connections currently open (diagnostics).</summary>
    public int ConnectionCount => _connections.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (_listener is not null || _tlsListener is not null)
        {
            throw new InvalidOperationException("The Diameter server is already started.");
        }

        // Read the TLS files before binding anything: a wrong setting fails the start with its name, nothing half-open.
        var tls = _options.Tls.Enabled ? DiameterTls.Load(_options.Tls, _logger) : null;

        // Origin-State-Id: changes on every start so peers can tell we restarted (RFC 6733 §8.16).
        var originStateId = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var handler = new DiameterHandler(_options, _checker, _logger, _metrics, originStateId, _gate);
        Socket? listener = null;
        Socket? tlsListener = null;
        try
        {
            if (_options.CleartextEnabled)
            {
                listener = Bind(DiameterOptions.ParseListen(_options.Listen));
            }

            if (tls is not null)
            {
                tlsListener = Bind(DiameterOptions.ParseListen(_options.Tls.Listen, "Diameter:Tls:Listen"));
            }
        }
        catch
        {
            listener?.Dispose();
            throw;
        }

        if (listener is not null)
        {
            _listener = listener;
            LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
            DiameterLog.Listening(_logger, LocalEndPoint, _options.OriginHost, _options.OriginRealm);
            _acceptLoop = AcceptLoopAsync(listener, handler, tls: null);
        }

        if (tlsListener is not null)
        {
            _tlsListener = tlsListener;
            TlsLocalEndPoint = (IPEndPoint)tlsListener.LocalEndPoint!;
            var leaf = tls!.Credentials.Leaf;
            DiameterLog.ListeningTls(_logger, TlsLocalEndPoint, _options.OriginHost, _options.OriginRealm, leaf.Subject, leaf.NotAfter.ToUniversalTime());
            _tlsAcceptLoop = AcceptLoopAsync(tlsListener, handler, tls);
        }

        return Task.CompletedTask;
    }

    private static Socket Bind(IPEndPoint endPoint)
    {
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
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var listener = Interlocked.Exchange(ref _listener, null);
        var tlsListener = Interlocked.Exchange(ref _tlsListener, null);
        if (listener is null && tlsListener is null)
        {
            return;
        }

        listener?.Dispose();
        tlsListener?.Dispose();
        foreach (var loop in new[] { _acceptLoop, _tlsAcceptLoop })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
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

    /// <param name="tls">The TLS side for the TLS listener; null for the cleartext one.</param>
    private async Task AcceptLoopAsync(Socket listener, DiameterHandler handler, DiameterTls? tls)
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

            // Certificate rotation: new files are picked up by the next handshake (looked at every few seconds at most).
            tls?.ReloadIfChanged();
            var connection = new DiameterConnection(socket, tls, handler, _options, _logger, _metrics);
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
