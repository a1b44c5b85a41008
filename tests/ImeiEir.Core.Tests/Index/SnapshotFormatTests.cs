using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

public class SnapshotFormatTests
{
    private static EirSnapshot Sample()
    {
        var registered = new List<long> { 0, 65535, 65536, 99_999_999_999_999 };
        registered.AddRange(Enumerable.Range(0, 5000).Select(i => 35_290_611_000_000L + (i * 3)));
        registered.AddRange(Enumerable.Range(0, 3000).Select(i => 86_000_000_000_000L + i));
        var bindings = Enumerable.Range(0, 40).Select(i => (0L, new BindingRecord(996_555_000_000 + i, i % 2 == 0 ? (437L << 4) + i : 0)))
            .Append((86_000_002_000_002L, new BindingRecord(0, 12345)))
            .Append((86_000_002_000_002L, new BindingRecord(996_700_100_001, 0)));
        return EirSnapshot.Build(registered, [7, 65536], bindings, [(100, 996_700_100_001), (16_000_000_000_000_000, 79_161_234_567)]);
    }

    [Fact]
    public void WriteThenRead_Snapshot_RoundTripsEverySetAndTable()
    {
        var snapshot = Sample();
        using var stream = new MemoryStream();

        SnapshotFormat.Write(stream, snapshot, 1234);
        stream.Position = 0;
        var read = SnapshotFormat.Read(stream, out var sequence);

        Assert.Equal(1234, sequence);
        Assert.Equal(snapshot.Registered.Keys(), read.Registered.Keys());
        Assert.Equal(snapshot.Stolen.Keys(), read.Stolen.Keys());
        Assert.Equal(snapshot.Bindings.Entries().Select(e => (e.Imei, string.Join(",", e.Records))), read.Bindings.Entries().Select(e => (e.Imei, string.Join(",", e.Records))));
        Assert.Equal(snapshot.Subscribers.Entries(), read.Subscribers.Entries());
        Assert.True(read.Bindings.Get(0).HasImsi((437L << 4) + 38));
    }

    [Fact]
    public void Read_TruncatedStream_ThrowsInvalidData()
    {
        using var full = new MemoryStream();
        SnapshotFormat.Write(full, Sample(), 1);
        var bytes = full.ToArray();

        foreach (var length in new[] { 0, 7, 8, 16, 17, bytes.Length / 2, bytes.Length - 1 })
        {
            using var truncated = new MemoryStream(bytes, 0, length);
            Assert.Throws<InvalidDataException>(() => SnapshotFormat.Read(truncated, out _));
        }
    }

    [Fact]
    public void Read_WrongMagic_ThrowsInvalidData()
    {
        using var stream = new MemoryStream([.. "NOTASNAPSHOT0000"u8]);

        Assert.Throws<InvalidDataException>(() => SnapshotFormat.Read(stream, out _));
    }
}
