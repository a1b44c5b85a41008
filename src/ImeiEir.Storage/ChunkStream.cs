namespace ImeiEir.Storage;

/// <summary>
/// A checkpoint's chunks read as one stream, forward only, without joining them into one array (tens of MB at national
/// scale: a large-object copy that is garbage once parsed).
/// </summary>
internal sealed class ChunkStream : Stream
{
    private readonly IReadOnlyList<byte[]> _chunks;
    private int _chunk;
    private int _at;

    public ChunkStream(IReadOnlyList<byte[]> chunks) => _chunks = chunks;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_chunk < _chunks.Count && _at == _chunks[_chunk].Length)
        {
            (_chunk, _at) = (_chunk + 1, 0);
        }

        if (_chunk == _chunks.Count)
        {
            return 0;
        }

        var n = Math.Min(buffer.Length, _chunks[_chunk].Length - _at);
        _chunks[_chunk].AsSpan(_at, n).CopyTo(buffer);
        _at += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
