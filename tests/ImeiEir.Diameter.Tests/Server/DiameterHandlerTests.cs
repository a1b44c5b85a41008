using System.Buffers;
using System.Net;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Server;
using ImeiEir.Diameter.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>The handler without sockets: what it costs per message, and the status mapping.</summary>
public class DiameterHandlerTests
{
    [Theory]
    [InlineData(TestData.Registered, TestData.BoundImsi)] // WHITELISTED
    [InlineData(TestData.Unregistered, TestData.OtherHomeImsi)] // BLACKLISTED
    [InlineData(TestData.Stolen, null)]
    [InlineData("3512345600000X", TestData.BoundImsi)] // 5004 with a Failed-AVP
    public void Handle_Micr_AllocatesNothingOnceWarm(string imei, string? imsi)
    {
        var (handler, peer) = OpenHandler();
        var request = Requests.Micr(1, imei, imsi);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        for (var i = 0; i < 10; i++)
        {
            output.ResetWrittenCount();
            handler.Handle(request, peer, output);
        }

        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            output.ResetWrittenCount();
            handler.Handle(request, peer, output);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(output.WrittenCount > 0);
    }

    [Theory]
    [InlineData(EquipmentStatus.Whitelisted, DiameterEquipmentStatus.Whitelisted)]
    [InlineData(EquipmentStatus.Blacklisted, DiameterEquipmentStatus.Blacklisted)]
    [InlineData(EquipmentStatus.Greylisted, DiameterEquipmentStatus.Greylisted)]
    public void ToDiameter_EachStatus_MapsToTheAvpValue(EquipmentStatus status, DiameterEquipmentStatus expected)
        => Assert.Equal(expected, DiameterHandler.ToDiameter(status));

    [Fact]
    public void Handle_TwoMessagesIntoOneWriter_WritesTwoWholeAnswers()
    {
        var (handler, peer) = OpenHandler();
        var output = new ArrayBufferWriter<byte>();

        handler.Handle(Requests.Micr(1, TestData.Registered), peer, output);
        var first = output.WrittenCount;
        handler.Handle(Requests.Dwr(2), peer, output);

        var a = new ParsedMessage(output.WrittenSpan[..first].ToArray());
        var b = new ParsedMessage(output.WrittenSpan[first..].ToArray());
        Assert.Equal(CommandCode.MeIdentityCheck, a.Header.CommandCode);
        Assert.Equal(CommandCode.DeviceWatchdog, b.Header.CommandCode);
    }

    private static (DiameterHandler Handler, PeerContext Peer) OpenHandler()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        index.Apply(1, TestData.Mutations(), time.GetUtcNow());
        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), time);
        var handler = new DiameterHandler(TestEir.DefaultOptions(), checker, NullLogger.Instance, 1);
        var peer = new PeerContext(IPAddress.Loopback, "test");
        var cea = new ArrayBufferWriter<byte>();
        Assert.Equal(Disposition.Continue, handler.Handle(Requests.Cer(), peer, cea));
        Assert.True(peer.IsOpen);
        return (handler, peer);
    }
}
