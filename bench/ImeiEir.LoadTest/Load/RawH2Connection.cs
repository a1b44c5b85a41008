using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.LoadTest.Load;

/// <summary>
/// A lean HTTP/2 client for unary <c>EquipmentCheck/Check</c> over cleartext (prior knowledge), for load that the
/// node, not the client, must be the bottleneck of: frames are pre-encoded bytes written in batches by one writer
/// thread, answers parsed in place by one reader thread, no HttpClient, no Task per call. The gRPC client of the
/// default mode costs about twice the server's CPU per call, so on two shared cores it cannot offer a node twice the
/// rate the node can serve; this one costs a fraction of the server's.
/// <para>
/// What it implements of HTTP/2 (RFC 9113) is what a client of one server needs: the preface and SETTINGS (with a
/// header table size of 0, so the server's header blocks carry no dynamic-table references and this client needs no
/// HPACK state), SETTINGS/PING acknowledgement, WINDOW_UPDATE both ways, RST_STREAM and GOAWAY. Header blocks are read
/// only for <c>grpc-status</c> and <c>grpc-message</c>; a Huffman-coded literal (which .NET's encoder never writes)
/// fails the connection loudly rather than being misread.
/// </para>
/// </summary>
internal sealed class RawH2Connection : IDisposable
{
    private const int SlotCount = 4096; // > MAX_CONCURRENT_STREAMS (1000 here); stream ids map to slots in order
    private const byte FrameData = 0x0, FrameHeaders = 0x1, FrameRstStream = 0x3, FrameSettings = 0x4, FramePing = 0x6, FrameGoAway = 0x7, FrameWindowUpdate = 0x8, FrameContinuation = 0x9;
    private const byte FlagEndStream = 0x1, FlagAck = 0x1, FlagEndHeaders = 0x4, FlagPadded = 0x8, FlagPriority = 0x20;
    private const int ReceiveWindowTopUp = 1 << 30;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _headerBlock;
    private readonly byte[][] _messages;
    private readonly Action<Completion> _completed;
    private readonly Slot[] _slots = new Slot[SlotCount];
    private readonly ConcurrentQueue<(int Index, long Due)> _backlog = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Lock _sendLock = new();
    private readonly Thread _writer;
    private readonly Thread _reader;
    private int _nextStreamId = 1;
    private int _outstanding;
    private int _maxConcurrent = 100;
    private long _sendWindow = 65_535;
    private long _received;
    private volatile bool _stopping;

    /// <param name="completed">Called on the reader thread for every call that ends (answered, failed or reset).</param>
    public RawH2Connection(Uri target, string apiKey, byte[][] messages, Action<Completion> completed)
    {
        if (target.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("--client raw speaks cleartext HTTP/2 only (http://host:port)");
        }

        _messages = messages;
        _completed = completed;
        _headerBlock = EncodeRequestHeaders($"{target.Host}:{target.Port}", apiKey);
        for (var i = 0; i < SlotCount; i++)
        {
            _slots[i] = new Slot();
        }

        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(new IPEndPoint(IPAddress.Parse(target.Host), target.Port));

        // Preface, our SETTINGS (header table 0, no push, the largest stream window), and the largest connection window.
        var hello = new List<byte>(Preface);
        var settings = new byte[18];
        WriteSetting(settings.AsSpan(0), 0x1, 0);
        WriteSetting(settings.AsSpan(6), 0x2, 0);
        WriteSetting(settings.AsSpan(12), 0x4, int.MaxValue);
        hello.AddRange(Frame(FrameSettings, 0, 0, settings));
        hello.AddRange(WindowUpdate(0, int.MaxValue - 65_535));
        _socket.Send(hello.ToArray());

        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "h2-reader" };
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "h2-writer" };
        _reader.Start();
        _writer.Start();
    }

    /// <summary>One finished call: the mix index, when it was due, and its status (and answer, when OK).</summary>
    public readonly record struct Completion(int Index, long Due, Status Status, CheckResponse? Response);

    /// <summary>Calls sent and not yet finished, plus those waiting for a free stream.</summary>
    public int Pending => Volatile.Read(ref _outstanding) + _backlog.Count;

    /// <summary>Queues one call, due at <paramref name="due"/> (its latency is measured from then).</summary>
    public void Post(int index, long due)
    {
        _backlog.Enqueue((index, due));
        if (!_wake.IsSet)
        {
            _wake.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        _socket.Dispose();
        _writer.Join();
        _reader.Join();
        _wake.Dispose();
    }

    private void WriteLoop()
    {
        var buffer = new byte[64 * 1024];
        while (!_stopping)
        {
            _wake.Wait();
            _wake.Reset();
            var used = 0;
            while (Volatile.Read(ref _outstanding) < Volatile.Read(ref _maxConcurrent) && _backlog.TryPeek(out var next))
            {
                var message = _messages[next.Index];
                var need = 9 + _headerBlock.Length + 9 + message.Length;
                if (Interlocked.Read(ref _sendWindow) < message.Length)
                {
                    break; // the reader wakes us on the server's WINDOW_UPDATE
                }

                if (used + need > buffer.Length)
                {
                    Send(buffer.AsSpan(0, used));
                    used = 0;
                }

                var stream = _nextStreamId;
                var slot = _slots[(stream >> 1) & (SlotCount - 1)];
                if (slot.Active)
                {
                    break; // a straggler 4 096 streams old still holds this slot: wait for it
                }

                _backlog.TryDequeue(out _);
                _nextStreamId += 2;
                slot.Start(next.Index, next.Due);
                Interlocked.Increment(ref _outstanding);
                Interlocked.Add(ref _sendWindow, -message.Length);
                used += WriteFrameHeader(buffer.AsSpan(used), _headerBlock.Length, FrameHeaders, FlagEndHeaders, stream);
                _headerBlock.CopyTo(buffer.AsSpan(used));
                used += _headerBlock.Length;
                used += WriteFrameHeader(buffer.AsSpan(used), message.Length, FrameData, FlagEndStream, stream);
                message.CopyTo(buffer.AsSpan(used));
                used += message.Length;
            }

            if (used > 0)
            {
                Send(buffer.AsSpan(0, used));
            }
        }
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        try
        {
            lock (_sendLock)
            {
                while (!bytes.IsEmpty)
                {
                    bytes = bytes[_socket.Send(bytes)..];
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _stopping = true;
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[1 << 20];
        var filled = 0;
        try
        {
            while (!_stopping)
            {
                var n = _socket.Receive(buffer.AsSpan(filled));
                if (n == 0)
                {
                    break;
                }

                filled += n;
                var consumed = 0;
                while (filled - consumed >= 9)
                {
                    var frame = buffer.AsSpan(consumed, filled - consumed);
                    var length = (frame[0] << 16) | (frame[1] << 8) | frame[2];
                    if (frame.Length < 9 + length)
                    {
                        break;
                    }

                    var stream = BinaryPrimitives.ReadInt32BigEndian(frame[5..]) & int.MaxValue;
                    OnFrame(frame[3], frame[4], stream, frame.Slice(9, length));
                    consumed += 9 + length;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        // Whatever is still open has no answer coming.
        _stopping = true;
        for (var i = 0; i < SlotCount; i++)
        {
            if (_slots[i].Active)
            {
                Finish(_slots[i], new Status(StatusCode.Unavailable, "connection closed"), null);
            }
        }
    }

    private void OnFrame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case FrameData:
                var slot = Active(stream);
                slot?.Append(Unpad(flags, payload));
                _received += payload.Length;
                if (_received >= ReceiveWindowTopUp)
                {
                    Send(WindowUpdate(0, (int)_received));
                    _received = 0;
                }

                if ((flags & FlagEndStream) != 0 && slot is not null)
                {
                    Finish(slot, new Status(StatusCode.Internal, "stream ended without trailers"), null);
                }

                break;
            case FrameHeaders:
                if ((flags & FlagEndHeaders) == 0)
                {
                    throw new InvalidOperationException("CONTINUATION of a response header block: not supported by --client raw");
                }

                var block = Unpad(flags, payload);
                if ((flags & FlagPriority) != 0)
                {
                    block = block[5..];
                }

                if ((flags & FlagEndStream) != 0 && Active(stream) is { } done)
                {
                    var (code, message) = ReadGrpcStatus(block);
                    Finish(done, new Status(code, message), code == StatusCode.OK ? done.Answer() : null);
                }

                break;
            case FrameRstStream:
                if (Active(stream) is { } reset)
                {
                    Finish(reset, new Status(StatusCode.Unavailable, "RST_STREAM " + BinaryPrimitives.ReadUInt32BigEndian(payload)), null);
                }

                break;
            case FrameSettings:
                if ((flags & FlagAck) == 0)
                {
                    for (var i = 0; i + 6 <= payload.Length; i += 6)
                    {
                        if (BinaryPrimitives.ReadUInt16BigEndian(payload[i..]) == 0x3)
                        {
                            Volatile.Write(ref _maxConcurrent, (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]), SlotCount / 2));
                        }
                    }

                    Send(Frame(FrameSettings, FlagAck, 0, []));
                    _wake.Set();
                }

                break;
            case FramePing:
                if ((flags & FlagAck) == 0)
                {
                    Send(Frame(FramePing, FlagAck, 0, payload.ToArray()));
                }

                break;
            case FrameWindowUpdate:
                if (stream == 0)
                {
                    Interlocked.Add(ref _sendWindow, BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue);
                    _wake.Set();
                }

                break;
            case FrameGoAway:
                _stopping = true;
                break;
            case FrameContinuation:
                throw new InvalidOperationException("CONTINUATION frame: not supported by --client raw");
        }
    }

    private Slot? Active(int stream)
    {
        var slot = _slots[(stream >> 1) & (SlotCount - 1)];
        return slot.Active ? slot : null;
    }

    private void Finish(Slot slot, Status status, CheckResponse? response)
    {
        var (index, due) = (slot.Index, slot.Due);
        slot.Active = false;
        Interlocked.Decrement(ref _outstanding);
        _completed(new Completion(index, due, status, response));
        if (!_backlog.IsEmpty && !_wake.IsSet)
        {
            _wake.Set();
        }
    }

    private static ReadOnlySpan<byte> Unpad(byte flags, ReadOnlySpan<byte> payload)
        => (flags & FlagPadded) == 0 ? payload : payload[1..^payload[0]];

    /// <summary>grpc-status and grpc-message of a header block without dynamic-table references (RFC 7541 §6).</summary>
    private static (StatusCode Code, string Message) ReadGrpcStatus(ReadOnlySpan<byte> block)
    {
        var code = StatusCode.Unknown;
        var message = "";
        var pos = 0;
        while (pos < block.Length)
        {
            var b = block[pos];
            if ((b & 0x80) != 0)
            {
                ReadInt(block, ref pos, 7); // indexed: a static entry (:status 200 and the like)
                continue;
            }

            if ((b & 0xE0) == 0x20)
            {
                ReadInt(block, ref pos, 5); // dynamic table size update (to 0)
                continue;
            }

            var nameIndex = ReadInt(block, ref pos, (b & 0x40) != 0 ? 6 : 4);
            var name = nameIndex == 0 ? ReadString(block, ref pos) : default;
            var value = ReadString(block, ref pos);
            if (name.SequenceEqual("grpc-status"u8) && int.TryParse(Encoding.ASCII.GetString(value), out var c))
            {
                code = (StatusCode)c;
            }
            else if (name.SequenceEqual("grpc-message"u8))
            {
                message = Uri.UnescapeDataString(Encoding.UTF8.GetString(value));
            }
        }

        return (code, message);
    }

    private static int ReadInt(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        var value = block[pos++] & max;
        if (value < max)
        {
            return value;
        }

        var shift = 0;
        byte b;
        do
        {
            b = block[pos++];
            value += (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return value;
    }

    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, ref int pos)
    {
        if ((block[pos] & 0x80) != 0)
        {
            throw new InvalidOperationException("Huffman-coded header literal: not supported by --client raw");
        }

        var length = ReadInt(block, ref pos, 7);
        var s = block.Slice(pos, length);
        pos += length;
        return s;
    }

    /// <summary>POST /imeieir.v1.EquipmentCheck/Check, literals without indexing and no Huffman coding (RFC 7541 §6.2.2).</summary>
    private static byte[] EncodeRequestHeaders(string authority, string apiKey)
    {
        var b = new List<byte> { 0x83, 0x86 }; // :method POST, :scheme http (static 3, 6)
        void Literal(int staticName, string? name, string value)
        {
            if (staticName < 15)
            {
                b.Add((byte)staticName);
            }
            else
            {
                b.Add(0x0F);
                b.Add((byte)(staticName - 15));
            }

            if (name is not null)
            {
                AddString(name);
            }

            AddString(value);
        }

        void AddString(string s)
        {
            var bytes = Encoding.ASCII.GetBytes(s);
            if (bytes.Length >= 127)
            {
                b.Add(0x7F);
                var rest = bytes.Length - 127;
                while (rest >= 128)
                {
                    b.Add((byte)((rest & 0x7F) | 0x80));
                    rest >>= 7;
                }

                b.Add((byte)rest);
            }
            else
            {
                b.Add((byte)bytes.Length);
            }

            b.AddRange(bytes);
        }

        Literal(4, null, "/imeieir.v1.EquipmentCheck/Check"); // :path
        Literal(1, null, authority); // :authority
        Literal(31, null, "application/grpc"); // content-type
        Literal(0, "te", "trailers");
        if (apiKey.Length > 0)
        {
            Literal(23, null, "Bearer " + apiKey); // authorization
        }

        return [.. b];
    }

    /// <summary>A request message as a gRPC length-prefixed frame (uncompressed).</summary>
    public static byte[] GrpcFrame(CheckRequest request)
    {
        var body = request.ToByteArray();
        var frame = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private static int WriteFrameHeader(Span<byte> to, int length, byte type, byte flags, int stream)
    {
        to[0] = (byte)(length >> 16);
        to[1] = (byte)(length >> 8);
        to[2] = (byte)length;
        to[3] = type;
        to[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(to[5..], stream);
        return 9;
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        WriteFrameHeader(frame, payload.Length, type, flags, stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] WindowUpdate(int stream, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return Frame(FrameWindowUpdate, 0, stream, payload);
    }

    private static void WriteSetting(Span<byte> to, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(to, id);
        BinaryPrimitives.WriteInt32BigEndian(to[2..], value);
    }

    /// <summary>One stream's bookkeeping, reused (stream ids advance in order through the slots).</summary>
    private sealed class Slot
    {
        private readonly byte[] _data = new byte[256];
        private int _length;

        private volatile bool _active;

        public bool Active
        {
            get => _active;
            set => _active = value;
        }

        public int Index;
        public long Due;

        public void Start(int index, long due)
        {
            Index = index;
            Due = due;
            _length = 0;
            Active = true;
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            var n = Math.Min(data.Length, _data.Length - _length);
            data[..n].CopyTo(_data.AsSpan(_length));
            _length += n;
        }

        /// <summary>The answer from the DATA received (one length-prefixed message).</summary>
        public CheckResponse? Answer() => _length < 5 ? null : CheckResponse.Parser.ParseFrom(_data.AsSpan(5, _length - 5));
    }
}
