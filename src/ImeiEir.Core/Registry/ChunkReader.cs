namespace ImeiEir.Core.Registry;

/// <summary>
/// Bytes cut in chunks (a checkpoint's, as Redis gave them) read as one run by position, without joining them: reads
/// go forward mostly, so the chunk of the last read is tried first.
/// </summary>
internal sealed class ChunkReader
{
    private readonly IReadOnlyList<byte[]> _chunks;
    private readonly long[] _starts; // each chunk's first position
    private int _last;

    public ChunkReader(IReadOnlyList<byte[]> chunks)
    {
        _chunks = chunks;
        _starts = new long[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            _starts[i] = Length;
            Length += chunks[i].Length;
        }
    }

    /// <summary>Bytes in all chunks.</summary>
    public long Length { get; }

    /// <summary>The byte at <paramref name="position"/> (below <see cref="Length"/>).</summary>
    public byte this[long position]
    {
        get
        {
            var c = ChunkOf(position);
            return _chunks[c][position - _starts[c]];
        }
    }

    /// <summary>Copies the bytes from <paramref name="position"/> into <paramref name="destination"/> (all within <see cref="Length"/>).</summary>
    public void Copy(long position, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            var c = ChunkOf(position);
            var from = _chunks[c].AsSpan((int)(position - _starts[c]));
            var n = Math.Min(from.Length, destination.Length);
            from[..n].CopyTo(destination);
            destination = destination[n..];
            position += n;
        }
    }

    private int ChunkOf(long position)
    {
        if (position < 0 || position >= Length)
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }

        while (position < _starts[_last])
        {
            _last--;
        }

        while (position >= _starts[_last] + _chunks[_last].Length)
        {
            _last++;
        }

        return _last;
    }
}
