using ImeiEir.Core.Index;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="ChunkWriteStream"/>: a checkpoint written into chunks of the size they are stored in. Whatever the sizes
/// of the writes, the chunks hold the bytes in order, every chunk but the last is full, and <see cref="ChunkStream"/>
/// reads them back as the one stream that was written.
/// </summary>
public class ChunkWriteStreamTests
{
    [Theory]
    [InlineData(0, 7)]
    [InlineData(1, 7)]
    [InlineData(7, 7)]
    [InlineData(8, 7)]
    [InlineData(1000, 7)]
    [InlineData(5000, 1024)]
    public void Chunks_HoldTheBytesInOrder_FullButTheLast(int length, int chunkBytes)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        using var stream = new ChunkWriteStream(chunkBytes);

        // Writes of assorted sizes, some crossing chunk boundaries, some single bytes.
        var at = 0;
        var step = 1;
        while (at < length)
        {
            var n = Math.Min(step, length - at);
            if (n == 1)
            {
                stream.WriteByte(bytes[at]);
            }
            else
            {
                stream.Write(bytes, at, n);
            }

            at += n;
            step = (step * 3 % 17) + 1;
        }

        Assert.Equal(length, stream.Length);
        Assert.Equal((length + chunkBytes - 1) / chunkBytes, stream.Count);
        var chunks = Enumerable.Range(0, stream.Count).Select(i => stream.Chunk(i).ToArray()).ToList();
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(chunkBytes, c.Length));
        Assert.Equal(bytes, chunks.SelectMany(c => c).ToArray());

        using var read = new ChunkStream(chunks);
        var back = new MemoryStream();
        read.CopyTo(back);
        Assert.Equal(bytes, back.ToArray());
    }

    [Fact]
    public void Serialize_ReadsBackAsTheSnapshot()
    {
        var snapshot = EirSnapshot.Build([1, 2, 3, 1_000_000], [2], [(5, new BindingRecord(10, 20)), (5, new BindingRecord(11, 0))], [(20, 10)]);

        using var chunks = CheckpointStore.Serialize(snapshot, 42);
        var whole = new MemoryStream();
        SnapshotFormat.Write(whole, snapshot, 42);

        Assert.Equal(whole.ToArray(), Enumerable.Range(0, chunks.Count).SelectMany(i => chunks.Chunk(i).ToArray()).ToArray());
    }
}
