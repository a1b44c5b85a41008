using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>
/// A small Diameter peer over real loopback TCP, cleartext or TLS: writes raw request bytes and reads whole answers.
/// Every read is bounded (10 s) so a server bug fails the test instead of hanging it; nothing asserts on time.
/// </summary>
internal sealed class DiameterTestClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly Stream _stream;

    private DiameterTestClient(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    /// <summary>The TLS session, when connected with <see cref="ConnectTlsAsync"/>.</summary>
    public SslStream? Tls => _stream as SslStream;

    public static async Task<DiameterTestClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new DiameterTestClient(tcp, tcp.GetStream());
    }

    /// <summary>Waits (10 s at most) for the next connection to <paramref name="listener"/>: the test playing the dialled side.</summary>
    public static async Task<DiameterTestClient> AcceptAsync(TcpListener listener)
    {
        using var cts = new CancellationTokenSource(ReadLimit);
        var tcp = await listener.AcceptTcpClientAsync(cts.Token);
        tcp.NoDelay = true;
        return new DiameterTestClient(tcp, tcp.GetStream());
    }

    /// <summary>
    /// Connects and completes a TLS handshake as a client: <paramref name="clientCertificate"/> is offered whatever the
    /// server asks for (null: none), the server's certificate must chain to <paramref name="serverCa"/>. Throws what
    /// the handshake throws.
    /// </summary>
    public static async Task<DiameterTestClient> ConnectTlsAsync(
        int port, X509Certificate2? clientCertificate, X509Certificate2 serverCa, SslProtocols protocols = SslProtocols.None)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var chainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            chainPolicy.CustomTrustStore.Add(serverCa);
            using var cts = new CancellationTokenSource(ReadLimit);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    EnabledSslProtocols = protocols,
                    CertificateChainPolicy = chainPolicy,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!,
                },
                cts.Token);
            return new DiameterTestClient(tcp, ssl);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Connects and completes CER/CEA (asserting 2001).</summary>
    public static async Task<DiameterTestClient> OpenAsync(int port)
    {
        var client = await ConnectAsync(port);
        var cea = await client.RequestAsync(Requests.Cer());
        Assert.Equal(ResultCode.Success, cea.ResultCode);
        return client;
    }

    public async Task SendAsync(byte[] message) => await _stream.WriteAsync(message);

    public async Task<ParsedMessage> RequestAsync(byte[] message)
    {
        await SendAsync(message);
        return await ReadAsync() ?? throw new InvalidOperationException("The server closed the connection instead of answering.");
    }

    /// <summary>
    /// Sends <paramref name="request"/> and returns the answer with its hop-by-hop id, answering any watchdog the other
    /// side sends meanwhile (a relay such as freeDiameter watches its peers) and skipping anything else.
    /// </summary>
    public async Task<ParsedMessage> RequestAnsweringWatchdogsAsync(byte[] request, string originHost = Requests.PeerHost, string originRealm = Requests.PeerRealm)
    {
        var hopByHop = DiameterHeader.Read(request).HopByHopId;
        await SendAsync(request);
        while (true)
        {
            var message = await ReadAsync() ?? throw new InvalidOperationException("The connection closed instead of answering.");
            if (message.Header.IsRequest && message.Header.CommandCode == CommandCode.DeviceWatchdog)
            {
                await SendAsync(Requests.Dwa(message.Header, originHost, originRealm));
            }
            else if (!message.Header.IsRequest && message.Header.HopByHopId == hopByHop)
            {
                return message;
            }
        }
    }

    /// <summary>The next message, or null when the server closed the connection.</summary>
    public async Task<ParsedMessage?> ReadAsync()
    {
        using var cts = new CancellationTokenSource(ReadLimit);
        var header = new byte[4];
        if (!await ReadExactlyOrEofAsync(header, cts.Token))
        {
            return null;
        }

        var length = DiameterHeader.ReadLength(header);
        Assert.InRange(length, DiameterHeader.Size, 1 << 20);
        var bytes = new byte[length];
        header.CopyTo(bytes, 0);
        if (!await ReadExactlyOrEofAsync(bytes.AsMemory(4), cts.Token))
        {
            throw new InvalidDataException("The server closed the connection in the middle of a message.");
        }

        return new ParsedMessage(bytes);
    }

    /// <summary>True when the server closes the connection (after any messages still in flight, which are skipped).</summary>
    public async Task<bool> WaitClosedAsync()
    {
        try
        {
            while (await ReadAsync() is not null)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true; // reset
        }
        catch (AuthenticationException)
        {
            return true; // TLS alert (e.g. our certificate refused after a TLS 1.3 handshake looked complete)
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task<bool> ReadExactlyOrEofAsync(Memory<byte> buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer[read..], token);
            if (n == 0)
            {
                return read == 0 ? false : throw new InvalidDataException("Connection closed mid-message.");
            }

            read += n;
        }

        return true;
    }
}
