using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ImeiEir.Diameter.Codec;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Server;

/// <summary>
/// One peer's connection, cleartext or TLS: frames messages off a pipe, hands each to the <see cref="DiameterHandler"/>,
/// and flushes the answers of everything that arrived in one read together. Answers therefore leave in request order;
/// pipelined requests need no bookkeeping. Framing is lost only on a bad version or message length: then the request
/// is answered if its header allows it, and the connection closed. The pipes run over a <see cref="NetworkStream"/>,
/// or over an <see cref="SslStream"/> on top of it once the TLS handshake succeeded: the protocol loop is the same, and
/// the cleartext path has exactly the objects it always had.
/// </summary>
internal sealed class DiameterConnection
{
    private readonly Socket _socket;
    private readonly DiameterTls? _tls;
    private readonly DiameterHandler _handler;
    private readonly DiameterOptions _options;
    private readonly ILogger _logger;
    private readonly DiameterMetrics _metrics;
    private readonly PeerContext _peer;

    // Set once the transport is up: at once in cleartext, after the handshake with TLS.
    private PipeReader? _input;
    private volatile bool _disconnectRequested;

    /// <param name="tls">The TLS side when the connection came to the TLS listener; null for cleartext.</param>
    public DiameterConnection(Socket socket, DiameterTls? tls, DiameterHandler handler, DiameterOptions options, ILogger logger, DiameterMetrics metrics)
    {
        _metrics = metrics;
        _socket = socket;
        _tls = tls;
        _handler = handler;
        _options = options;
        _logger = logger;
        var local = (socket.LocalEndPoint as IPEndPoint)?.Address ?? IPAddress.Loopback;
        _peer = new PeerContext(local, socket.RemoteEndPoint?.ToString() ?? "?");
    }

    public string Remote => _peer.Remote;

    /// <summary>
    /// Asks the connection to leave: an open peer gets a DPR and up to <see cref="DiameterOptions.DisconnectTimeout"/>
    /// to answer; any other connection closes at once (one still in its TLS handshake is aborted). Safe from any thread.
    /// </summary>
    public void RequestDisconnect()
    {
        _disconnectRequested = true;
        var input = Volatile.Read(ref _input);
        if (input is null)
        {
            Abort();
            return;
        }

        input.CancelPendingRead();
    }

    /// <summary>Closes the socket now (after the disconnect grace).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    public async Task RunAsync()
    {
        DiameterLog.ConnectionAccepted(_logger, _peer.Remote);
        _metrics.ConnectionOpened();
        var idle = _options.IdleTimeout > TimeSpan.Zero ? _options.IdleTimeout : Timeout.InfiniteTimeSpan;

        // Until CER succeeds the peer is nobody: it gets CerTimeout, not the idle allowance of a known peer.
        var cerWait = _options.CerTimeout > TimeSpan.Zero && (idle == Timeout.InfiniteTimeSpan || _options.CerTimeout < idle)
            ? _options.CerTimeout
            : idle;
        PipeReader? input = null;
        PipeWriter? output = null;
        SslStream? ssl = null;
        try
        {
            Stream stream = new NetworkStream(_socket, ownsSocket: true);
            if (_tls is not null)
            {
                ssl = await HandshakeAsync(_tls, stream, cerWait).ConfigureAwait(false);
                if (ssl is null)
                {
                    return;
                }

                stream = ssl;
            }

            input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096));
            output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024));
            Volatile.Write(ref _input, input);
            await ServeAsync(input, output, idle, cerWait).ConfigureAwait(false);
            if (ssl is not null)
            {
                await CloseNotifyAsync(ssl).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer reset the connection, or the server aborted it on shutdown.
            if (!_disconnectRequested)
            {
                DiameterLog.ConnectionFailed(_logger, _peer.Remote, ex);
            }
        }
        finally
        {
            if (input is not null)
            {
                await input.CompleteAsync().ConfigureAwait(false);
            }

            if (output is not null)
            {
                await output.CompleteAsync().ConfigureAwait(false);
            }

            Abort();
            _metrics.ConnectionClosed();
            if (_peer.IsOpen)
            {
                _metrics.PeerClosed();
            }

            DiameterLog.ConnectionClosed(_logger, _peer.Remote);
        }
    }

    /// <summary>The TLS server handshake within the CER allowance; null (logged once, with the reason) when it failed.</summary>
    private async Task<SslStream?> HandshakeAsync(DiameterTls tls, Stream stream, TimeSpan allowance)
    {
        using var deadline = new CancellationTokenSource(allowance);
        var result = await tls.AuthenticateAsync(stream, deadline.Token).ConfigureAwait(false);
        _metrics.TlsHandshake(result.Outcome);
        switch (result.Outcome)
        {
            case TlsHandshakeOutcome.Succeeded:
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    DiameterLog.TlsHandshakeDone(_logger, _peer.Remote, result.Stream!.SslProtocol, result.Stream.NegotiatedCipherSuite, result.Detail);
                }

                return result.Stream;
            case TlsHandshakeOutcome.CertificateRefused or TlsHandshakeOutcome.Failed when !_disconnectRequested:
                DiameterLog.TlsHandshakeRefused(_logger, _peer.Remote, result.Detail);
                return null;
            case TlsHandshakeOutcome.Closed or TlsHandshakeOutcome.TimedOut when !_disconnectRequested:
                // A port probe or a peer giving up: worth a line, not a warning.
                DiameterLog.TlsHandshakeAbandoned(_logger, _peer.Remote, result.Detail);
                return null;
            default:
                // Our own shutdown aborted it: nothing to report.
                return null;
        }
    }

    /// <summary>
    /// Sends TLS close_notify so the peer's stack sees an orderly end rather than a truncation. Best effort: the peer
    /// may have closed already (after its DPR, or by leaving), which is no failure of ours.
    /// </summary>
    private static async Task CloseNotifyAsync(SslStream ssl)
    {
        try
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private async Task ServeAsync(PipeReader input, PipeWriter output, TimeSpan idle, TimeSpan cerWait)
    {
        using var timer = new CancellationTokenSource();
        var disconnecting = false;
        while (true)
        {
            if (_disconnectRequested && !disconnecting)
            {
                disconnecting = true;
                if (!_peer.IsOpen)
                {
                    return;
                }

                // Tell the peer to fail over now rather than at its watchdog; wait briefly for the DPA.
                var id = (uint)Random.Shared.Next();
                _peer.DprHopByHop = id;
                _handler.WriteDisconnectRequest(id, id, output);
                await output.FlushAsync().ConfigureAwait(false);
                idle = _options.DisconnectTimeout;
            }

            // CancelAfter re-arms the same timer: one per connection, not one per read.
            var wait = _peer.IsOpen || disconnecting ? idle : cerWait;
            timer.CancelAfter(wait);
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested)
            {
                if (!disconnecting)
                {
                    DiameterLog.IdleTimeout(_logger, _peer.Remote, wait);
                }

                return;
            }

            var buffer = result.Buffer;
            var disposition = Process(ref buffer, output);
            input.AdvanceTo(buffer.Start, buffer.End);
            if (output.UnflushedBytes > 0)
            {
                await output.FlushAsync().ConfigureAwait(false);
            }

            if (disposition == Disposition.Close || result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Handles every complete message in <paramref name="buffer"/>, leaving it at the first incomplete one.</summary>
    private Disposition Process(ref ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        Span<byte> headerBytes = stackalloc byte[DiameterHeader.Size];
        while (buffer.Length >= DiameterHeader.Size)
        {
            buffer.Slice(0, DiameterHeader.Size).CopyTo(headerBytes);
            var header = DiameterHeader.Read(headerBytes);
            var framing = CheckFraming(in header);
            if (framing != 0)
            {
                // The length field cannot be trusted: answer from the header alone, drop the rest, close.
                DiameterLog.FramingLost(_logger, _peer.Remote, framing == ResultCode.UnsupportedVersion ? "unsupported version" : "invalid message length");
                _handler.WriteFramingError(in header, framing, output);
                buffer = buffer.Slice(buffer.End);
                return Disposition.Close;
            }

            if (buffer.Length < header.Length)
            {
                break;
            }

            var frame = buffer.Slice(0, header.Length);
            var disposition = frame.IsSingleSegment
                ? _handler.Handle(frame.FirstSpan, _peer, output)
                : HandleCopied(in frame, header.Length, output);
            buffer = buffer.Slice(frame.End);
            if (disposition == Disposition.Close)
            {
                return Disposition.Close;
            }
        }

        return Disposition.Continue;
    }

    /// <summary>A message split across pipe segments is copied once into a pooled buffer (rare: segments are 16 KiB).</summary>
    private Disposition HandleCopied(in ReadOnlySequence<byte> frame, int length, PipeWriter output)
    {
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            return _handler.Handle(rented.AsSpan(0, length), _peer, output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>0 when the header frames a message we can read; else the result code that says why not.</summary>
    private uint CheckFraming(in DiameterHeader header)
    {
        if (header.Version != DiameterHeader.SupportedVersion)
        {
            // The length field's meaning is defined by version 1 only.
            return ResultCode.UnsupportedVersion;
        }

        if (header.Length < DiameterHeader.Size || (header.Length & 3) != 0 || header.Length > _options.MaxMessageSize)
        {
            return ResultCode.InvalidMessageLength;
        }

        return 0;
    }
}
