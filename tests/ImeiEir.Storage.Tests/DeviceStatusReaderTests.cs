using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using ImeiEir.Storage.Tests.Support;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="DeviceStatusReader"/>: registered, stolen and bound numbers from the node's index, the device id from the
/// node's device directory; a registered IMEI the directory does not know reaches the caller as
/// <see cref="RegistryUnavailableException"/> (a Core type, its message naming no identifier).
/// </summary>
public sealed class DeviceStatusReaderTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string Imei = "35693803564380";
    private const long ImeiKey = 35_693_803_564_380;

    private readonly TestCluster _cluster;

    public DeviceStatusReaderTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task GetAsync_RegisteredBoundStolen_StatusWithDeviceIdAndNumbersAscending()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", Imei), D.Bind(Imei, "996700000002"), D.Bind(Imei, "996700000001", "437010000000001"), D.Stolen(Imei, "case-1"));

        var status = await new DeviceStatusReader(writer.Index, writer.Devices).GetAsync(ImeiKey, CancellationToken.None);

        Assert.Equal(new DeviceStatus(true, true, status.BoundMsisdns, "dev-1"), status);
        Assert.Equal([996_700_000_001L, 996_700_000_002L], status.BoundMsisdns);
    }

    [Fact]
    public async Task GetAsync_RegisteredButNotInDeviceDirectory_RegistryUnavailable()
    {
        // Redis is no longer read: the case left is a node whose directory lacks the device (hydrated from a
        // checkpoint of an earlier version).
        var index = new EirIndex();
        index.Load(EirSnapshot.Build([ImeiKey], [], [], []), 1);

        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() => new DeviceStatusReader(index, new DeviceDirectory()).GetAsync(ImeiKey, CancellationToken.None));

        Assert.DoesNotContain(ImeiKey.ToString(System.Globalization.CultureInfo.InvariantCulture)[..8], ex.Message, StringComparison.Ordinal);
    }
}
