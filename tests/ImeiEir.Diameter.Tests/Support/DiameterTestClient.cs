using System.Net;
using System.Net.Sockets;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>
/// A small Diameter peer over real loopback TCP: writes raw request bytes and reads whole answers. Every read is
/// bounded (10 s) so a server bug fails the test instead of hanging it; nothing asserts on time.
/// </summary>
internal sealed class DiameterTestClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private DiameterTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<DiameterTestClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new DiameterTestClient(tcp);
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
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
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
