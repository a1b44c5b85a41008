using System.Buffers.Binary;
using System.Net.Sockets;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// The concurrent-stream limit a client is told in the node's HTTP/2 SETTINGS: 128 by default
/// (<see cref="EirHost.DefaultMaxStreamsPerConnection"/>), read from the wire as a core's HTTP/2 stack reads it.
/// </summary>
public sealed class Http2StreamLimitTests : NodeTest
{
    private const int SettingsFrame = 0x4;
    private const int MaxConcurrentStreams = 0x3;

    [Fact]
    public async Task ServerSettings_AdvertiseTheDefaultStreamLimit()
    {
        var settings = await ReadServerSettingsAsync(Node.GrpcPort);

        Assert.True(settings.TryGetValue(MaxConcurrentStreams, out var limit), "SETTINGS_MAX_CONCURRENT_STREAMS not advertised");
        Assert.Equal(EirHost.DefaultMaxStreamsPerConnection, (int)limit);
    }

    // Cleartext HTTP/2 with prior knowledge: the preface and an empty SETTINGS frame, then the server's first frame.
    private static async Task<Dictionary<int, uint>> ReadServerSettingsAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        byte[] preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, SettingsFrame, 0, 0, 0, 0, 0];
        await stream.WriteAsync(preface);

        var header = new byte[9];
        await stream.ReadExactlyAsync(header);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        Assert.Equal(SettingsFrame, header[3]);
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload);

        var settings = new Dictionary<int, uint>();
        for (var i = 0; i + 6 <= payload.Length; i += 6)
        {
            settings[BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(i))] = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i + 2));
        }

        return settings;
    }
}
