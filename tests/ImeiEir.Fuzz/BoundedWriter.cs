using System.Buffers;

namespace ImeiEir.Fuzz;

/// <summary>
/// An output that hands out exactly the size asked for (the least a <c>PipeWriter</c> promises), so an answer that
/// outgrows the bound its writer asked for fails here instead of hiding in a roomier buffer.
/// </summary>
internal sealed class BoundedWriter : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[1 << 16];
    private int _written;
    private int _granted;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Reset()
    {
        _written = 0;
        _granted = 0;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var size = sizeHint > 0 ? sizeHint : 256;
        if (_buffer.Length - _written < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + size));
        }

        // Stale bytes, not zeros: a writer that skips a byte it should set is caught by the answer checks.
        _buffer.AsSpan(_written, size).Fill(0xA5);
        _granted = size;
        return _buffer.AsMemory(_written, size);
    }

    public void Advance(int count)
    {
        Invariant.That(count >= 0 && count <= _granted, "diameter: an answer stays within the buffer size its writer asked for");
        _written += count;
        _granted = 0;
    }
}
