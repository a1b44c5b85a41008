using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// <see cref="DeviceDirectory"/>: device id → IMEIs and IMEI → device, kept in an arena and two tables; exact after any
/// sequence of registrations and removals (checked against dictionaries), across rebuilds, and through its checkpoint form.
/// </summary>
public class DeviceDirectoryTests
{
    [Fact]
    public void Add_ThenLookups_DeviceAndOwnerOfEachImei()
    {
        var directory = new DeviceDirectory();

        directory.Add("dev-1", [35693803564380, 35209900176148]);

        Assert.True(directory.TryGetDevice("dev-1", out var imeis));
        Assert.Equal([35693803564380L, 35209900176148L], imeis);
        Assert.True(directory.TryGetDeviceOf(35209900176148, out var owner));
        Assert.Equal("dev-1", owner);
        Assert.False(directory.TryGetDevice("dev-2", out _));
        Assert.False(directory.TryGetDeviceOf(35209900176155, out _));
        Assert.Equal((1, 2L), (directory.Count, directory.ImeiCount));
    }

    [Fact]
    public void Remove_Registered_DeviceAndItsOwnersGoOthersStay()
    {
        var directory = new DeviceDirectory();
        directory.Add("dev-1", [1, 2]);
        directory.Add("dev-2", [3]);

        Assert.True(directory.Remove("dev-1"));
        Assert.False(directory.Remove("dev-1"));

        Assert.False(directory.TryGetDevice("dev-1", out _));
        Assert.False(directory.TryGetDeviceOf(1, out _));
        Assert.True(directory.TryGetDeviceOf(3, out var owner));
        Assert.Equal("dev-2", owner);
        Assert.Equal((1, 1L), (directory.Count, directory.ImeiCount));
    }

    [Fact]
    public void Add_SameIdAgain_RecordReplacedImeisItNoLongerHasFreed()
    {
        var directory = new DeviceDirectory();
        directory.Add("dev-1", [1, 2]);

        directory.Add("dev-1", [1, 3]);

        Assert.True(directory.TryGetDevice("dev-1", out var imeis));
        Assert.Equal([1L, 3L], imeis);
        Assert.False(directory.TryGetDeviceOf(2, out _));
        Assert.Equal((1, 2L), (directory.Count, directory.ImeiCount));
    }

    [Fact]
    public void Add_ImeiOfAnotherDevice_ItMovesTheOtherKeepsTheRest()
    {
        var directory = new DeviceDirectory();
        directory.Add("dev-1", [1, 2]);

        directory.Add("dev-2", [2]);
        directory.Remove("dev-1");

        Assert.True(directory.TryGetDeviceOf(2, out var owner));
        Assert.Equal("dev-2", owner);
        Assert.False(directory.TryGetDeviceOf(1, out _));
    }

    [Fact]
    public void Apply_RemovalsThenRegistrations_AsTheLogCarriesThem()
    {
        var directory = new DeviceDirectory();
        directory.Add("dev-1", [1, 2]);

        directory.Apply(["dev-1", "never-registered"], [new DeviceRecord("dev-1", [2, 5]), new DeviceRecord("dev-9", [1])]);

        Assert.True(directory.TryGetDevice("dev-1", out var imeis));
        Assert.Equal([2L, 5L], imeis);
        Assert.True(directory.TryGetDeviceOf(1, out var owner));
        Assert.Equal("dev-9", owner);
    }

    [Fact]
    public void ManyChanges_SameAnswersAsDictionariesAcrossRebuildsAndCheckpointForm()
    {
        var rng = new Random(11);
        var directory = new DeviceDirectory();
        var devices = new Dictionary<string, long[]>();
        var owners = new Dictionary<long, string>();
        long nextImei = 35_000_000_000_000;
        for (var step = 0; step < 60_000; step++)
        {
            var id = "dev-" + rng.Next(20_000) + (rng.Next(4) == 0 ? "-\u00e9" : "");
            if (devices.Remove(id, out var old))
            {
                directory.Remove(id);
                foreach (var i in old)
                {
                    owners.Remove(i);
                }
            }
            else
            {
                long[] imeis = rng.Next(7) == 0 ? [nextImei++, nextImei++] : [nextImei++];
                directory.Add(id, imeis);
                devices[id] = imeis;
                foreach (var i in imeis)
                {
                    owners[i] = id;
                }
            }
        }

        using var stream = new MemoryStream();
        directory.WriteTo(stream);
        var read = DeviceDirectory.ReadFrom(stream.ToArray());

        foreach (var d in new[] { directory, read })
        {
            Assert.Equal((devices.Count, (long)owners.Count), (d.Count, d.ImeiCount));
            foreach (var (id, imeis) in devices)
            {
                Assert.True(d.TryGetDevice(id, out var got));
                Assert.Equal(imeis, got);
            }

            for (var i = 35_000_000_000_000; i < nextImei; i++)
            {
                Assert.Equal(owners.TryGetValue(i, out var expected), d.TryGetDeviceOf(i, out var got));
                Assert.Equal(expected ?? "", got);
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x45, 0x45, 0x49, 0x52, 0x44, 0x45, 0x56, 0x31, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0 })]
    public void ReadFrom_NotTheFormat_InvalidData(byte[] bytes)
        => Assert.Throws<InvalidDataException>(() => DeviceDirectory.ReadFrom(bytes));
}
