using System.Buffers.Binary;
using System.Collections.Concurrent;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>Malformed input, pipelining and concurrency over loopback TCP.</summary>
public class RobustnessTests
{
    [Fact]
    public async Task Request_ReservedHeaderBits_Answers3008AndTheConnectionLivesOn()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var bad = Requests.Micr(21, TestData.Registered);
        bad[4] |= 0x01; // a reserved command-flag bit

        var answer = await client.RequestAsync(bad);
        var good = await client.RequestAsync(Requests.Micr(22, TestData.Registered));

        Assert.Equal(ResultCode.InvalidHeaderBits, answer.ResultCode);
        Assert.True(answer.Header.IsError);
        Assert.Equal(21u, answer.Header.HopByHopId);
        Assert.Equal(DiameterEquipmentStatus.Whitelisted, good.EquipmentStatus);
    }

    [Fact]
    public async Task Request_WithEBitSet_Answers3008()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(23, TestData.Registered, extraFlags: CommandFlags.Error));

        Assert.Equal(ResultCode.InvalidHeaderBits, answer.ResultCode);
    }

    [Fact]
    public async Task Micr_TopLevelAvpLengthPastTheEnd_Answers5014ThenServesTheNextRequest()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var bad = Requests.Micr(31, TestData.Registered, TestData.BoundImsi);
        var userNameAt = FindAvp(bad, AvpCode.UserName);
        bad[userNameAt + 7] = 0xF0; // User-Name claims 240 bytes: past the end of the message

        var answer = await client.RequestAsync(bad);
        var good = await client.RequestAsync(Requests.Micr(32, TestData.Registered, TestData.BoundImsi));

        Assert.Equal(ResultCode.InvalidAvpLength, answer.ResultCode);
        Assert.Equal(31u, answer.Header.HopByHopId);
        var quoted = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.UserName, quoted.Code);
        Assert.Empty(quoted.Data); // the header alone, length fixed so it parses
        Assert.NotNull(answer.SessionId);
        Assert.Equal(ResultCode.Success, good.ResultCode);
    }

    [Fact]
    public async Task Micr_AvpLengthBelowHeaderInsideTerminalInformation_Answers5014NamingThePath()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var bad = Requests.Micr(33, TestData.Registered);
        var terminalAt = FindAvp(bad, AvpCode.TerminalInformation);
        bad[terminalAt + 12 + 7] = 5; // the IMEI inside: length 5, below its 12-byte header

        var answer = await client.RequestAsync(bad);

        Assert.Equal(ResultCode.InvalidAvpLength, answer.ResultCode);
        var terminal = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.TerminalInformation, terminal.Code);
        Assert.Equal(AvpCode.Imei, Assert.Single(terminal.Children).Code);
        Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Micr(34, TestData.Registered))).ResultCode);
    }

    [Fact]
    public async Task Message_UnsupportedVersion_Answers5011AndCloses()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var bad = Requests.Micr(41, TestData.Registered);
        bad[0] = 2;

        var answer = await client.RequestAsync(bad);

        Assert.Equal(ResultCode.UnsupportedVersion, answer.ResultCode);
        Assert.Equal(41u, answer.Header.HopByHopId);
        Assert.True(await client.WaitClosedAsync());
    }

    [Theory]
    [InlineData(22)] // not a multiple of 4
    [InlineData(16)] // shorter than the header
    [InlineData(1 << 20)] // over MaxMessageSize
    public async Task Message_InvalidLength_Answers5015AndCloses(int length)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var bad = Requests.Micr(42, TestData.Registered);
        BinaryPrimitives.WriteUInt32BigEndian(bad, (1u << 24) | (uint)length);

        var answer = await client.RequestAsync(bad);

        Assert.Equal(ResultCode.InvalidMessageLength, answer.ResultCode);
        Assert.Equal(42u, answer.Header.HopByHopId);
        Assert.True(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Connection_Garbage_IsClosedAndTheServerServesTheNextConnection()
    {
        await using var eir = await TestEir.StartAsync();
        await using (var client = await DiameterTestClient.ConnectAsync(eir.Port))
        {
            var garbage = new byte[64];
            new Random(7).NextBytes(garbage);
            garbage[0] = 0x47; // 'G': not version 1
            await client.SendAsync(garbage);
            Assert.True(await client.WaitClosedAsync());
        }

        await using var next = await DiameterTestClient.OpenAsync(eir.Port);
        Assert.Equal(ResultCode.Success, (await next.RequestAsync(Requests.Micr(1, TestData.Registered))).ResultCode);
    }

    [Fact]
    public async Task Micr_SplitAcrossWrites_IsReassembled()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var request = Requests.Micr(51, TestData.Stolen, TestData.BoundImsi);

        foreach (var chunk in request.Chunk(7))
        {
            await client.SendAsync(chunk);
            await Task.Delay(1);
        }

        var answer = await client.ReadAsync();
        Assert.Equal(DiameterEquipmentStatus.Blacklisted, answer!.EquipmentStatus);
    }

    [Fact]
    public async Task UnexpectedAnswerFromPeer_IsIgnored()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        var strayAnswer = Requests.Dwr(9);
        strayAnswer[4] &= 0x7F; // clear R: a DWA nobody asked for

        await client.SendAsync(strayAnswer);
        var answer = await client.RequestAsync(Requests.Micr(52, TestData.Registered));

        Assert.Equal(52u, answer.Header.HopByHopId);
        Assert.Equal(ResultCode.Success, answer.ResultCode);
    }

    [Fact]
    public async Task Micr_HundredPipelinedOnOneConnection_AnswersEachByItsIds()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);
        string[] imeis = [TestData.Registered, TestData.Stolen, TestData.Bound, TestData.Unregistered];
        var expected = new Dictionary<uint, DiameterEquipmentStatus>();
        var batch = new List<byte>();
        for (uint i = 1000; i < 1100; i++)
        {
            var imei = imeis[i % 4];
            batch.AddRange(Requests.Micr(i, imei, TestData.BoundImsi));
            expected[i] = imei is TestData.Registered or TestData.Bound ? DiameterEquipmentStatus.Whitelisted : DiameterEquipmentStatus.Blacklisted;
        }

        await client.SendAsync([.. batch]); // one write: the server sees them back to back
        var seen = new HashSet<uint>();
        for (var n = 0; n < 100; n++)
        {
            var answer = (await client.ReadAsync())!;
            var id = answer.Header.HopByHopId;
            Assert.True(seen.Add(id));
            Assert.Equal(id ^ 0x5A5A0000, answer.Header.EndToEndId);
            Assert.Equal($"{Requests.PeerHost};1;{id}", answer.SessionId);
            Assert.Equal(expected[id], answer.EquipmentStatus);
        }

        Assert.Equal(expected.Keys.ToHashSet(), seen);
    }

    [Fact]
    public async Task Micr_SeveralConnectionsAtOnce_AllAnswered()
    {
        await using var eir = await TestEir.StartAsync();
        const int Connections = 8;
        const int PerConnection = 50;

        var results = await Task.WhenAll(Enumerable.Range(0, Connections).Select(async c =>
        {
            await using var client = await DiameterTestClient.OpenAsync(eir.Port);
            var ok = 0;
            for (var i = 0; i < PerConnection; i++)
            {
                var imei = i % 2 == 0 ? TestData.Registered : TestData.Unregistered;
                var answer = await client.RequestAsync(Requests.Micr((uint)((c << 16) | i), imei, TestData.OtherHomeImsi));
                var expected = i % 2 == 0 ? DiameterEquipmentStatus.Whitelisted : DiameterEquipmentStatus.Blacklisted;
                if (answer.ResultCode == ResultCode.Success && answer.EquipmentStatus == expected && answer.Header.HopByHopId == (uint)((c << 16) | i))
                {
                    ok++;
                }
            }

            return ok;
        }));

        Assert.All(results, ok => Assert.Equal(PerConnection, ok));
    }

    [Fact]
    public async Task Logs_AtTraceLevel_NeverCarryTheImeiOrImsi()
    {
        var logger = new ListLogger<DiameterServer>();
        await using var eir = await TestEir.StartAsync(logger: logger);
        await using (var client = await DiameterTestClient.OpenAsync(eir.Port))
        {
            await client.RequestAsync(Requests.Micr(1, TestData.Registered, TestData.BoundImsi));
            await client.RequestAsync(Requests.Micr(2, TestData.Registered + "X", TestData.BoundImsi));
            await client.RequestAsync(Requests.Micr(3, TestData.Registered, TestData.BoundImsi + "X"));
            await client.RequestAsync(Requests.Dpr(4));
        }

        await eir.Server.StopAsync(CancellationToken.None);

        Assert.NotEmpty(logger.Messages);
        Assert.DoesNotContain(logger.Messages, m => m.Contains("35123456", StringComparison.Ordinal) || m.Contains("43701123", StringComparison.Ordinal));
    }

    /// <summary>Offset of the first top-level AVP with this code in a message.</summary>
    private static int FindAvp(byte[] message, uint code)
    {
        var offset = DiameterHeader.Size;
        while (offset < message.Length)
        {
            var c = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(offset));
            if (c == code)
            {
                return offset;
            }

            var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(offset + 4)) & 0xFFFFFF);
            offset += (length + 3) & ~3;
        }

        throw new InvalidOperationException($"AVP {code} not found.");
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Messages.Enqueue(formatter(state, exception) + " " + exception);
    }
}
