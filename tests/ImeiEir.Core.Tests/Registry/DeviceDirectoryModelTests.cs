using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// <see cref="DeviceDirectory"/> against a model of two dictionaries, over random registrations, re-registrations,
/// removals and take-overs (an IMEI registered under another device moves to it) while the arena takes new pages,
/// evacuates mostly-removed ones and the tables' segments grow, and through its checkpoint form at every stage.
/// </summary>
public class DeviceDirectoryModelTests
{
    [Theory]
    [InlineData(1, 2_000, 3_000, 120_000)] // few IMEIs: many take-overs
    [InlineData(2, 60_000, 200_000, 300_000)] // growth to several pages and many segment rehashes
    [InlineData(3, 200, 100_000, 50_000)] // re-registrations of few ids
    public void RandomChanges_SameAnswersAsTheModel(int seed, int ids, int imeiRange, int steps)
    {
        var rng = new Random(seed);
        var directory = new DeviceDirectory();
        var model = new Model();
        for (var step = 1; step <= steps; step++)
        {
            var id = "d" + rng.Next(ids) + (rng.Next(5) == 0 ? "-\u00e9\u00e9" : "");
            if (rng.Next(3) == 0)
            {
                Assert.Equal(model.Remove(id), directory.Remove(id));
            }
            else
            {
                var imeis = new long[rng.Next(9) == 0 ? rng.Next(2, 6) : 1];
                for (var i = 0; i < imeis.Length; i++)
                {
                    imeis[i] = 35_000_000_000_000 + rng.Next(imeiRange);
                }

                directory.Add(id, imeis);
                model.Add(id, imeis);
                foreach (var i in imeis)
                {
                    Assert.True(directory.TryGetDeviceOf(i, out var owner));
                    Assert.Equal(id, owner);
                }
            }

            Assert.Equal(model.Counts, (directory.Count, directory.ImeiCount));

            if (step % (steps / 4) == 0)
            {
                model.AssertSame(directory, imeiRange);
                model.AssertSame(RoundTrip(directory), imeiRange);
            }
        }
    }

    [Fact]
    public void Churn_LiveSetSteady_ArenaSpaceReclaimed()
    {
        var directory = new DeviceDirectory();
        var model = new Model();
        const int Live = 100_000;
        for (var i = 0; i < Live; i++)
        {
            directory.Add("device-" + i, [35_000_000_000_000 + i]);
            model.Add("device-" + i, [35_000_000_000_000 + i]);
        }

        // A million registrations in all (~20 MB of records written), never more than 100 000 (~2.3 MB) live.
        for (var i = Live; i < 1_000_000; i++)
        {
            var gone = "device-" + (i - Live);
            Assert.True(directory.Remove(gone));
            model.Remove(gone);
            directory.Add("device-" + i, [35_000_000_000_000 + i]);
            model.Add("device-" + i, [35_000_000_000_000 + i]);
        }

        Assert.InRange(directory.BytesHeld, 0, 12L << 20);
        model.AssertSame(directory, 0);
        model.AssertSame(RoundTrip(directory), 0);
    }

    [Fact]
    public void Add_ManyImeisOneDevice_EachOwnedByIt()
    {
        // 200 IMEIs of one record in a near-empty table: their probe paths cross, and a lookup for one meets the
        // record by another's slot (it is not a take-over of its own IMEI).
        var directory = new DeviceDirectory();
        var imeis = Enumerable.Range(0, 200).Select(i => 35_000_000_000_000L + i).ToArray();

        directory.Add("dev-1", imeis);

        Assert.True(directory.TryGetDevice("dev-1", out var held));
        Assert.Equal(imeis, held);
        Assert.All(imeis, i => Assert.True(directory.TryGetDeviceOf(i, out _)));
        Assert.Equal(200L, directory.ImeiCount);
    }

    [Fact]
    public void Add_SameImeiTwice_HeldOnce()
    {
        var directory = new DeviceDirectory();

        directory.Add("dev-1", [7, 7, 8]);
        directory.Remove("dev-1");

        Assert.False(directory.TryGetDeviceOf(7, out _));
        Assert.Equal((0, 0L), (directory.Count, directory.ImeiCount));
    }

    [Fact]
    public void ReadFrom_ManyChunks_RecordsCutAnywhere()
    {
        var directory = new DeviceDirectory();
        for (var i = 0; i < 100_000; i++)
        {
            directory.Add("device-" + i, i % 3 == 0 ? [10 * i, (10 * i) + 1] : [10 * i]);
        }

        using var stream = new MemoryStream();
        directory.WriteTo(stream);
        var bytes = stream.ToArray();
        var chunks = bytes.Chunk(4093).ToArray(); // a prime: cuts fall everywhere in records and headers

        var read = DeviceDirectory.ReadFrom(chunks);

        Assert.Equal((100_000, 133_334L), (read.Count, read.ImeiCount));
        Assert.True(read.TryGetDevice("device-99999", out var imeis));
        Assert.Equal([999_990L, 999_991L], imeis);
        Assert.True(read.TryGetDeviceOf(10, out var owner));
        Assert.Equal("device-1", owner);
    }

    private static DeviceDirectory RoundTrip(DeviceDirectory directory)
    {
        using var stream = new MemoryStream();
        directory.WriteTo(stream);
        return DeviceDirectory.ReadFrom(stream.ToArray());
    }

    private sealed class Model
    {
        private readonly Dictionary<string, List<long>> _devices = [];
        private readonly Dictionary<long, string> _owners = [];

        public (int, long) Counts => (_devices.Count, (long)_owners.Count);

        public bool Remove(string id)
        {
            if (!_devices.Remove(id, out var imeis))
            {
                return false;
            }

            foreach (var i in imeis)
            {
                _owners.Remove(i);
            }

            return true;
        }

        public void Add(string id, long[] imeis)
        {
            Remove(id);
            var held = new List<long>();
            foreach (var i in imeis.Distinct())
            {
                if (_owners.TryGetValue(i, out var owner))
                {
                    _devices[owner].Remove(i);
                }

                _owners[i] = id;
                held.Add(i);
            }

            _devices[id] = held;
        }

        public void AssertSame(DeviceDirectory d, int imeiRange)
        {
            Assert.Equal((_devices.Count, (long)_owners.Count), (d.Count, d.ImeiCount));
            foreach (var (id, imeis) in _devices)
            {
                Assert.True(d.TryGetDevice(id, out var got), id);
                Assert.Equal(imeis, got);
            }

            foreach (var (imei, id) in _owners)
            {
                Assert.True(d.TryGetDeviceOf(imei, out var got));
                Assert.Equal(id, got);
            }

            for (var i = 0; i < imeiRange; i++)
            {
                var imei = 35_000_000_000_000 + i;
                Assert.Equal(_owners.ContainsKey(imei), d.TryGetDeviceOf(imei, out _));
            }
        }
    }
}
