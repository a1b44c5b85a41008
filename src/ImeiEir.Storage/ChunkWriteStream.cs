using System.Buffers;

namespace ImeiEir.Storage;

/// <summary>
/// A checkpoint written straight into the chunks it is stored as (pooled arrays of the chunk size), never into one
/// growing array: a <see cref="MemoryStream"/> doubled its way to the checkpoint's size (tens of MB at national
/// scale), leaving about twice that in dead large objects for a full collection to find. The counterpart of
/// <see cref="ChunkStream"/>, which reads the chunks back as one stream. Dispose returns the arrays to the pool.
/// </summary>
internal sealed class ChunkWriteStream : Stream
{
    private readonly int _chunkBytes;
    private readonly List<byte[]> _chunks = [];
    private int _used;

    public ChunkWriteStream(int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        _chunkBytes = chunkBytes;
    }

    /// <summary>Chunks holding data (the last one may be partly filled).</summary>
    public int Count => _chunks.Count;

    /// <summary>The bytes of chunk <paramref name="index"/>: the chunk size except for the last chunk.</summary>
    public ReadOnlyMemory<byte> Chunk(int index) =>
        _chunks[index].AsMemory(0, index == _chunks.Count - 1 ? _used : _chunkBytes);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _chunks.Count == 0 ? 0 : ((long)(_chunks.Count - 1) * _chunkBytes) + _used;

    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_chunks.Count == 0 || _used == _chunkBytes)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(_chunkBytes));
                _used = 0;
            }

            var n = Math.Min(buffer.Length, _chunkBytes - _used);
            buffer[..n].CopyTo(_chunks[^1].AsSpan(_used));
            _used += n;
            buffer = buffer[n..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var chunk in _chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            _chunks.Clear();
            _used = 0;
        }

        base.Dispose(disposing);
    }
}
