using System.Buffers;
using System.Diagnostics.Metrics;
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
        var (handler, peer, _) = OpenHandler();
        AssertNoAllocation(handler, peer, imei, imsi);
    }

    [Fact]
    public void Handle_MicrWithMetricsListened_AllocatesNothingAndCountsByResultAndStatus()
    {
        var (handler, peer, metrics) = OpenHandler();
        long whitelisted = 0, invalid = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };

        // The callback itself must not allocate either: it only compares the precomputed tag strings.
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "imeieir.diameter.answers" || tags.Length != 3 || !"MIC".Equals(tags[0].Value))
            {
                return;
            }

            if ("2001".Equals(tags[1].Value) && "whitelisted".Equals(tags[2].Value))
            {
                Interlocked.Add(ref whitelisted, value);
            }
            else if ("5004".Equals(tags[1].Value) && "none".Equals(tags[2].Value))
            {
                Interlocked.Add(ref invalid, value);
            }
        });
        listener.Start();

        AssertNoAllocation(handler, peer, TestData.Registered, TestData.BoundImsi);
        handler.Handle(Requests.Micr(2, "bad"), peer, new ArrayBufferWriter<byte>());

        Assert.Equal(110, Interlocked.Read(ref whitelisted));
        Assert.Equal(1, Interlocked.Read(ref invalid));
    }

    private static void AssertNoAllocation(DiameterHandler handler, PeerContext peer, string imei, string? imsi)
    {
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
        var (handler, peer, _) = OpenHandler();
        var output = new ArrayBufferWriter<byte>();

        handler.Handle(Requests.Micr(1, TestData.Registered), peer, output);
        var first = output.WrittenCount;
        handler.Handle(Requests.Dwr(2), peer, output);

        var a = new ParsedMessage(output.WrittenSpan[..first].ToArray());
        var b = new ParsedMessage(output.WrittenSpan[first..].ToArray());
        Assert.Equal(CommandCode.MeIdentityCheck, a.Header.CommandCode);
        Assert.Equal(CommandCode.DeviceWatchdog, b.Header.CommandCode);
    }

    private static (DiameterHandler Handler, PeerContext Peer, DiameterMetrics Metrics) OpenHandler()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        index.Apply(1, TestData.Mutations(), time.GetUtcNow());
        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), time);
        var metrics = new DiameterMetrics(null);
        var handler = new DiameterHandler(TestEir.DefaultOptions(), checker, NullLogger.Instance, metrics, 1);
        var peer = new PeerContext(IPAddress.Loopback, "test");
        var cea = new ArrayBufferWriter<byte>();
        Assert.Equal(Disposition.Continue, handler.Handle(Requests.Cer(), peer, cea));
        Assert.True(peer.IsOpen);
        return (handler, peer, metrics);
    }
}
