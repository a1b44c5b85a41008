using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// <see cref="BatchReads.Of"/>: the device records a batch must read before it is planned — every device id a registration
/// or removal names, and the owner of each IMEI a registration names that the view already holds as registered.
/// </summary>
public class BatchReadsTests
{
    private const long Registered = 35_693_803_564_380;
    private const string RegisteredText = "35693803564380";
    private const string NewText = "35209900176148";

    private static EirView View()
    {
        var index = new EirIndex();
        index.Replace(EirSnapshot.Build([Registered], [], [], []), 7, null, markLoaded: true);
        return index.Current;
    }

    [Fact]
    public void Of_NoDeviceDeltas_EmptyAtViewSequence()
    {
        var reads = BatchReads.Of([new BindDelta(RegisteredText, "996700000001", ""), new ReportStolenDelta(NewText, "case-1"), null], View());

        Assert.True(reads.IsEmpty);
        Assert.Equal(7, reads.ViewSequence);
    }

    [Fact]
    public void Of_RegistrationsAndRemovals_TheirDeviceIdsOnceAndOwnersOfRegisteredImeisOnly()
    {
        var reads = BatchReads.Of(
            [
                new RegisterDeviceDelta("dev-1", [RegisteredText, NewText, "not-an-imei"]),
                new UnregisterDeviceDelta("dev-2"),
                new UnregisterDeviceDelta("dev-1"),
                new UnregisterDeviceDelta(""),
            ],
            View());

        Assert.False(reads.IsEmpty);
        Assert.Equal(["dev-1", "dev-2"], reads.DeviceIds.Order(StringComparer.Ordinal));
        Assert.Equal([Registered], reads.RegisteredImeis);
        Assert.Equal(7, reads.ViewSequence);
    }
}
