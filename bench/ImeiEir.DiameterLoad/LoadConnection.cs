using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Unicode;
using HdrHistogram;
using ImeiEir.Diameter.Codec;

namespace ImeiEir.DiameterLoad;

/// <summary>What one connection counted in the measured period.</summary>
internal sealed class LoadCounters
{
    public long Answers;
    public long Whitelisted;
    public long Blacklisted;
    public long Greylisted;

    /// <summary>Answers without Result-Code 2001 (errors, 5422, 3004 ...).</summary>
    public long OtherResults;
}

/// <summary>
/// One load connection: CER, then a sender that keeps <c>window</c> MICRs in flight and a reader that matches each
/// answer to its send time by hop-by-hop id (ids are sequential, so <c>id &amp; mask</c> is a free slot while at most
/// <c>window</c> are outstanding).
/// </summary>
internal sealed class LoadConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _window;
    private readonly long[] _sentAt;
    private readonly int _mask;
    private readonly byte[][] _imeis;
    private readonly byte[] _imsi;
    private readonly LoadOptions _options;
    private readonly int _id;
    private uint _nextHopByHop = 1;
    private int _imeiCursor;

    private LoadConnection(Socket socket, LoadOptions options, byte[][] imeis, int id)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(stream);
        _output = PipeWriter.Create(stream);
        _options = options;
        _window = new SemaphoreSlim(options.Window, options.Window);
        var ring = (int)BitOperations.RoundUpToPowerOf2((uint)options.Window);
        _sentAt = new long[ring];
        _mask = ring - 1;
        _imeis = imeis;
        _imsi = System.Text.Encoding.ASCII.GetBytes(options.Imsi);
        _id = id;
        _imeiCursor = (int)((long)id * imeis.Length / Math.Max(1, options.Connections));
    }

    /// <summary>Latency of every answer in the measured period, in Stopwatch ticks.</summary>
    public LongHistogram Histogram { get; } = new(Stopwatch.Frequency * 60, 3);

    public LoadCounters Counters { get; } = new();

    /// <summary>Sends before this Stopwatch timestamp are warm-up: answered but not counted.</summary>
    public long MeasureFrom { get; set; } = long.MaxValue;

    /// <summary>Sends at or after this timestamp are not counted either (the tail after the stop signal).</summary>
    public long MeasureUntil { get; set; } = long.MaxValue;

    public static async Task<LoadConnection> OpenAsync(IPEndPoint target, LoadOptions options, byte[][] imeis, int id)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(target);
        var connection = new LoadConnection(socket, options, imeis, id);
        await connection.ExchangeCapabilitiesAsync();
        return connection;
    }

    /// <summary>Sends and reads until <paramref name="stop"/>, then waits for the answers still in flight.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var reader = Task.Run(ReadLoopAsync);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _window.WaitAsync(stop);
                var batch = 0;
                do
                {
                    WriteRequest();
                    batch++;
                }
                while (batch < 256 && _window.Wait(0));

                await _output.FlushAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Drain: every slot back means every answer arrived.
        for (var i = 0; i < _options.Window; i++)
        {
            if (!await _window.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None))
            {
                throw new TimeoutException($"Connection {_id}: answers missing after the run.");
            }
        }

        _input.CancelPendingRead();
        await reader;
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        await _output.CompleteAsync();
        _socket.Dispose();
        _window.Dispose();
    }

    private async Task ExchangeCapabilitiesAsync()
    {
        var span = _output.GetSpan(1024);
        var w = new DiameterWriter(span);
        w.WriteHeader(CommandFlags.Request, CommandCode.CapabilitiesExchange, DiameterApplication.Common, 0, 0);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, _options.OriginHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, _options.OriginRealm);
        w.WriteAddress(AvpCode.HostIpAddress, AvpFlags.Mandatory, 0, ((IPEndPoint)_socket.LocalEndPoint!).Address.MapToIPv4());
        w.WriteUInt32(AvpCode.VendorId, AvpFlags.Mandatory, 0, 0);
        w.WriteString(AvpCode.ProductName, AvpFlags.None, 0, "ImeiEir.DiameterLoad");
        w.WriteUInt32(AvpCode.AuthApplicationId, AvpFlags.Mandatory, 0, DiameterApplication.S13);
        _output.Advance(w.Finish());
        await _output.FlushAsync();

        var (result, _) = await ReadOneAsync();
        if (result != ResultCode.Success)
        {
            throw new InvalidOperationException($"CER refused with result {result} (is {_options.OriginHost} / {_options.OriginRealm} allowed?).");
        }
    }

    private void WriteRequest()
    {
        var hopByHop = _nextHopByHop++;
        var imei = _imeis[_imeiCursor];
        _imeiCursor = _imeiCursor + 1 == _imeis.Length ? 0 : _imeiCursor + 1;

        var w = new DiameterWriter(_output.GetSpan(512));
        w.WriteHeader(CommandFlags.Request | CommandFlags.Proxiable, CommandCode.MeIdentityCheck, DiameterApplication.S13, hopByHop, hopByHop);
        Span<byte> session = stackalloc byte[96];
        Utf8.TryWrite(session, CultureInfo.InvariantCulture, $"{_options.OriginHost};{_id};{hopByHop}", out var sessionLength);
        w.WriteBytes(AvpCode.SessionId, AvpFlags.Mandatory, 0, session[..sessionLength]);
        w.WriteUInt32(AvpCode.AuthSessionState, AvpFlags.Mandatory, 0, 1);
        w.WriteString(AvpCode.OriginHost, AvpFlags.Mandatory, 0, _options.OriginHost);
        w.WriteString(AvpCode.OriginRealm, AvpFlags.Mandatory, 0, _options.OriginRealm);
        w.WriteString(AvpCode.DestinationRealm, AvpFlags.Mandatory, 0, "eir.realm");
        var t = w.BeginGrouped(AvpCode.TerminalInformation, AvpFlags.Mandatory, VendorId.ThreeGpp);
        w.WriteBytes(AvpCode.Imei, AvpFlags.Mandatory, VendorId.ThreeGpp, imei);
        w.WriteBytes(AvpCode.SoftwareVersion, AvpFlags.Mandatory, VendorId.ThreeGpp, "01"u8);
        w.EndGrouped(t);
        if (_imsi.Length > 0)
        {
            w.WriteBytes(AvpCode.UserName, AvpFlags.Mandatory, 0, _imsi);
        }

        _sentAt[hopByHop & _mask] = Stopwatch.GetTimestamp();
        _output.Advance(w.Finish());
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            var read = await _input.ReadAsync();
            var buffer = read.Buffer;
            var now = Stopwatch.GetTimestamp();
            while (TryTakeMessage(ref buffer, out var message))
            {
                Record(message, now);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return;
            }
        }
    }

    private void Record(in ReadOnlySequence<byte> message, long now)
    {
        Span<byte> copy = stackalloc byte[(int)Math.Min(message.Length, 2048)];
        message.Slice(0, copy.Length).CopyTo(copy);
        var header = DiameterHeader.Read(copy);
        if (header.IsRequest || header.CommandCode != CommandCode.MeIdentityCheck)
        {
            return; // a DWR or DPR from the server would go here; the load run ignores them
        }

        var sentAt = _sentAt[header.HopByHopId & _mask];
        var (result, status) = Inspect(copy);
        if (sentAt >= MeasureFrom && sentAt < MeasureUntil)
        {
            Histogram.RecordValue(Math.Max(1, now - sentAt));
            Counters.Answers++;
            if (result != ResultCode.Success)
            {
                Counters.OtherResults++;
            }
            else if (status == (uint)DiameterEquipmentStatus.Whitelisted)
            {
                Counters.Whitelisted++;
            }
            else if (status == (uint)DiameterEquipmentStatus.Greylisted)
            {
                Counters.Greylisted++;
            }
            else
            {
                Counters.Blacklisted++;
            }
        }

        _window.Release();
    }

    private async Task<(uint Result, uint Status)> ReadOneAsync()
    {
        while (true)
        {
            var read = await _input.ReadAsync();
            var buffer = read.Buffer;
            if (TryTakeMessage(ref buffer, out var message))
            {
                var bytes = message.ToArray();
                _input.AdvanceTo(buffer.Start);
                return Inspect(bytes);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                throw new InvalidOperationException("The server closed the connection during CER.");
            }
        }
    }

    private static bool TryTakeMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < DiameterHeader.Size)
        {
            return false;
        }

        Span<byte> first = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first);
        var length = DiameterHeader.ReadLength(first);
        if (length < DiameterHeader.Size)
        {
            throw new InvalidDataException($"The server sent a message length of {length}.");
        }

        if (buffer.Length < length)
        {
            return false;
        }

        message = buffer.Slice(0, length);
        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>Result-Code (or the Experimental-Result-Code) and Equipment-Status of an answer.</summary>
    private static (uint Result, uint Status) Inspect(ReadOnlySpan<byte> message)
    {
        uint result = 0, status = uint.MaxValue;
        var reader = new AvpReader(message[DiameterHeader.Size..]);
        while (reader.Read(out var avp) == AvpReadStatus.Ok)
        {
            if (avp.Is(AvpCode.ResultCode, 0))
            {
                avp.TryGetUInt32(out result);
            }
            else if (avp.Is(AvpCode.EquipmentStatus, VendorId.ThreeGpp))
            {
                avp.TryGetUInt32(out status);
            }
            else if (avp.Is(AvpCode.ExperimentalResult, 0))
            {
                var inner = avp.GetGrouped();
                while (inner.Read(out var member) == AvpReadStatus.Ok)
                {
                    if (member.Is(AvpCode.ExperimentalResultCode, 0))
                    {
                        member.TryGetUInt32(out result);
                    }
                }
            }
        }

        return (result, status);
    }
}
