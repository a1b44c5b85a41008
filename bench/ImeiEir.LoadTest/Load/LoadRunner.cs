using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Data;

namespace ImeiEir.LoadTest.Load;

/// <summary>
/// Runs one load: warm-up then measurement, closed or open model, over unary Check, CheckBatch or CheckStream.
/// Requests are prebuilt from the mix (correlation id = mix line), so the client spends its CPU on gRPC, not on
/// building messages; answers are verified against the mix.
/// </summary>
internal sealed class LoadRunner
{
    private readonly LoadSettings _s;
    private readonly RequestMixFile _mix;
    private readonly GrpcTarget _target;
    private readonly CheckBatchRequest[] _batches;
    private readonly Uri[] _n5gUris;
    private long _next = -1;
    private long _inFlight;

    public LoadRunner(LoadSettings settings, RequestMixFile mix, GrpcTarget target)
    {
        _s = settings;
        _mix = mix;
        _target = target;
        _batches = settings.Api == Api.Batch ? BuildBatches(mix, settings.BatchSize) : [];
        _n5gUris = settings.Api == Api.N5g ? BuildN5gUris(mix, settings.Target) : [];
    }

    public Measurement? Current { get; private set; }

    public async Task<Measurement> RunAsync(CancellationToken ct)
    {
        // Connect every channel first, so connection set-up is not in the warm-up's first latencies.
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connect.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                for (var c = 0; c < _target.Count; c++)
                {
                    if (_s.Api == Api.N5g)
                    {
                        // One request opens the connection (its answer is not counted: it is before the start).
                        using var first = N5gRequest(0);
                        using var answer = await _target.Http(c).SendAsync(first, connect.Token);
                    }
                    else
                    {
                        await _target[c].ConnectAsync(connect.Token);
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new ArgumentException($"cannot connect to {_target.Address} within 10 s (is the node up?)");
            }
            catch (HttpRequestException ex)
            {
                throw new ArgumentException($"cannot connect to {_target.Address}: {ex.Message}{(ex.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
            }
        }

        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10);
        var m = new Measurement(_mix, _s.Verify, start, _s.Warmup, _s.Duration, _s.AllowShed);
        Current = m;
        while (Stopwatch.GetTimestamp() < start)
        {
            await Task.Delay(5, ct);
        }

        var end = m.MeasureEnd;
        var cpu = SampleCpuAsync(m, ct);
        if (_s.Client == Client.Raw)
        {
            await RawAsync(m, start, end, ct);
            await cpu;
            return m;
        }

        var tasks = new List<Task> { cpu };
        if (_s.Model == Model.Closed)
        {
            var n = _s.Concurrency;
            for (var w = 0; w < n; w++)
            {
                var worker = w;
                tasks.Add(Task.Run(() => _s.Api switch
                {
                    Api.Check => ClosedUnaryAsync(worker, m, end, ct),
                    Api.Batch => ClosedBatchAsync(worker, m, end, ct),
                    Api.N5g => ClosedN5gAsync(worker, m, end, ct),
                    _ => ClosedStreamAsync(worker, m, end, ct),
                }, ct));
            }
        }
        else
        {
            tasks.Add(OpenAsync(m, start, end, ct));
        }

        await Task.WhenAll(tasks);
        return m;
    }

    private int NextIndex() => (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_mix.Length);

    private async Task ClosedUnaryAsync(int worker, Measurement m, long end, CancellationToken ct)
    {
        var client = new EquipmentCheck.EquipmentCheckClient(_target[worker]);
        var options = _target.Options(ct);
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= end)
            {
                return;
            }

            await UnaryAsync(client, options, NextIndex(), t0, m);
        }
    }

    /// <summary>
    /// One unary Check, answered or failed, without throwing on the client: an exception costs the client more than
    /// the call, and a node shedding load answers many calls with a status.
    /// </summary>
    private async Task UnaryAsync(EquipmentCheck.EquipmentCheckClient client, CallOptions options, int i, long startedAt, Measurement m)
    {
        if (_s.Deadline > TimeSpan.Zero)
        {
            options = options.WithDeadline(DateTime.UtcNow + _s.Deadline);
        }

        using var call = client.CheckAsync(_mix.Requests[i], options);
        await ((Task)call.ResponseAsync).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (call.ResponseAsync.IsCompletedSuccessfully)
        {
            m.Answered(startedAt, i, call.ResponseAsync.Result);
        }
        else
        {
            m.Failed(startedAt, i, 1, call.ResponseAsync.Exception?.InnerException is RpcException ex ? ex.Status : call.GetStatus());
        }
    }

    private async Task SampleCpuAsync(Measurement m, CancellationToken ct)
    {
        static async Task UntilAsync(long timestamp, CancellationToken ct)
        {
            while (Stopwatch.GetTimestamp() < timestamp)
            {
                var ms = (timestamp - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                await Task.Delay((int)Math.Clamp(ms, 1, 100), ct);
            }
        }

        await UntilAsync(m.MeasureStart, ct);
        m.CpuStart = CpuSample.Take(_s.ServerPid);
        await UntilAsync(m.MeasureEnd, ct);
        m.CpuEnd = CpuSample.Take(_s.ServerPid);
    }

    private HttpRequestMessage N5gRequest(int i)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _n5gUris[i])
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (_target.Authorization is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("authorization", authorization);
        }

        return request;
    }

    private async Task ClosedN5gAsync(int worker, Measurement m, long end, CancellationToken ct)
    {
        var http = _target.Http(worker);
        var body = new byte[4096];
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= end)
            {
                return;
            }

            var i = NextIndex();
            try
            {
                using var request = N5gRequest(i);
                using var response = await http.SendAsync(request, ct);
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                var n = 0;
                int read;
                while (n < body.Length && (read = await stream.ReadAsync(body.AsMemory(n), ct)) > 0)
                {
                    n += read;
                }

                m.AnsweredHttp(t0, i, (int)response.StatusCode, body.AsSpan(0, n));
            }
            catch (HttpRequestException ex)
            {
                m.FailedHttp(t0, ex);
            }
        }
    }

    /// <summary>
    /// The mix as N5g-eir queries: <c>pei</c> from the IMEI (the mix's bare and <c>imei-</c>/<c>imeisv-</c> forms are all
    /// accepted there), <c>supi</c> from the IMSI, <c>gpsi</c> from the MSISDN, each percent-encoded.
    /// </summary>
    private static Uri[] BuildN5gUris(RequestMixFile mix, string target)
    {
        var root = target.TrimEnd('/') + "/n5g-eir-eic/v1/equipment-status?pei=";
        var uris = new Uri[mix.Length];
        for (var i = 0; i < mix.Length; i++)
        {
            var q = mix.Requests[i];
            var text = root + Uri.EscapeDataString(q.Imei)
                + (q.Imsi.Length > 0 ? "&supi=" + Uri.EscapeDataString(q.Imsi) : "")
                + (q.Msisdn.Length > 0 ? "&gpsi=" + Uri.EscapeDataString(q.Msisdn) : "");
            uris[i] = new Uri(text);
        }

        return uris;
    }

    private async Task ClosedBatchAsync(int worker, Measurement m, long end, CancellationToken ct)
    {
        var client = new EquipmentCheck.EquipmentCheckClient(_target[worker]);
        var options = _target.Options(ct);
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= end)
            {
                return;
            }

            var k = (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_batches.Length);
            await SendBatchAsync(client, options, k, t0, m);
        }
    }

    private async Task SendBatchAsync(EquipmentCheck.EquipmentCheckClient client, CallOptions options, int k, long startedAt, Measurement m)
    {
        var first = (int)((long)k * _s.BatchSize % _mix.Length);
        if (_s.Deadline > TimeSpan.Zero)
        {
            options = options.WithDeadline(DateTime.UtcNow + _s.Deadline);
        }

        try
        {
            var r = await client.CheckBatchAsync(_batches[k], options);
            m.AnsweredBatch(startedAt, first, r, _s.BatchSize);
        }
        catch (RpcException ex)
        {
            m.Failed(startedAt, first, _s.BatchSize, ex);
        }
    }

    private async Task ClosedStreamAsync(int worker, Measurement m, long end, CancellationToken ct)
    {
        var client = new EquipmentCheck.EquipmentCheckClient(_target[worker]);
        using var call = client.CheckStream(_target.Options(ct));
        using var window = new SemaphoreSlim(_s.Depth, _s.Depth);
        var pending = new ConcurrentQueue<(int Index, long Started)>();
        var reader = ReadStreamAsync(call, pending, m, window);
        try
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                await window.WaitAsync(ct);
                var i = NextIndex();
                pending.Enqueue((i, Stopwatch.GetTimestamp()));
                await call.RequestStream.WriteAsync(_mix.Requests[i], ct);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException ex)
        {
            m.Failed(Stopwatch.GetTimestamp(), -1, 0, ex);
        }

        await reader;
    }

    private static async Task ReadStreamAsync(AsyncDuplexStreamingCall<CheckRequest, CheckResponse> call, ConcurrentQueue<(int Index, long Started)> pending, Measurement m, SemaphoreSlim? window)
    {
        try
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync())
            {
                // Answers come in request order.
                pending.TryDequeue(out var p);
                m.Answered(p.Started, p.Index, r);
                window?.Release();
            }
        }
        catch (RpcException ex)
        {
            m.Failed(Stopwatch.GetTimestamp(), -1, 0, ex);
        }
    }

    private async Task OpenAsync(Measurement m, long start, long end, CancellationToken ct)
    {
        // One pacer per channel, each at rate / channels, phase-shifted so the channels interleave.
        var pacers = _target.Count;
        var perPacer = _s.Api == Api.Batch ? _s.Rate / _s.BatchSize / pacers : _s.Rate / pacers;
        var streams = new StreamFeed?[pacers];
        if (_s.Api == Api.Stream)
        {
            for (var p = 0; p < pacers; p++)
            {
                streams[p] = new StreamFeed(new EquipmentCheck.EquipmentCheckClient(_target[p]).CheckStream(_target.Options(ct)), _mix.Requests, m);
            }
        }

        // Unary and batch: the pacer only posts due times (~100 ns each); a pool of async callers takes them and
        // makes the calls. A caller that finishes finds the next due time waiting without a thread wake-up, so
        // under load the client costs about what it costs in the closed model. Starting calls on the pacer thread
        // itself measured seconds of lateness at 23 000/s here: the synchronous part of a call is tens of µs.
        // If every caller is busy the due times queue up, and the wait is charged to latency (from the due time).
        var dueTimes = new Channel<long>[pacers];
        var callers = new List<Task>();
        for (var p = 0; p < pacers; p++)
        {
            dueTimes[p] = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
            if (_s.Api == Api.Stream)
            {
                continue;
            }

            var client = new EquipmentCheck.EquipmentCheckClient(_target[p]);
            var options = _target.Options(ct);
            var reader = dueTimes[p].Reader;
            for (var c = 0; c < Math.Max(1, _s.Callers / pacers); c++)
            {
                callers.Add(Task.Run(async () =>
                {
                    while (await reader.WaitToReadAsync(CancellationToken.None))
                    {
                        while (reader.TryRead(out var due))
                        {
                            if (_s.Api == Api.Check)
                            {
                                await FireUnaryAsync(client, options, NextIndex(), due, m);
                            }
                            else
                            {
                                await FireBatchAsync(client, options, (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_batches.Length), due, m);
                            }
                        }
                    }
                }, CancellationToken.None));
            }
        }

        var threads = new Thread[pacers];
        for (var p = 0; p < pacers; p++)
        {
            var pacer = p;
            var writer = dueTimes[p].Writer;
            var offset = (long)(Stopwatch.Frequency / perPacer * p / pacers);
            threads[p] = new Thread(() =>
            {
                Pacer.Run(start + offset, end, perPacer, (long)_s.Tick.TotalNanoseconds, due =>
                {
                    if (Interlocked.Read(ref _inFlight) >= _s.MaxInFlight)
                    {
                        return false;
                    }

                    Interlocked.Increment(ref _inFlight);
                    if (_s.Api == Api.Stream)
                    {
                        streams[pacer]!.Post(NextIndex(), due, () => Interlocked.Decrement(ref _inFlight));
                    }
                    else
                    {
                        writer.TryWrite(due);
                    }

                    return true;
                });
                writer.TryComplete();
            })
            { IsBackground = true, Name = $"pacer-{p}" };
            threads[p].Start();
        }

        await Task.Run(() =>
        {
            foreach (var t in threads)
            {
                t.Join();
            }
        }, ct);

        foreach (var f in streams)
        {
            if (f is not null)
            {
                await f.CompleteAsync();
            }
        }

        await Task.WhenAll(callers);

        // Drain what is still in flight (its latencies count: they were due in the window).
        var drainUntil = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (Interlocked.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(10, ct);
        }
    }

    private async Task FireUnaryAsync(EquipmentCheck.EquipmentCheckClient client, CallOptions options, int i, long due, Measurement m)
    {
        try
        {
            await UnaryAsync(client, options, i, due, m);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task FireBatchAsync(EquipmentCheck.EquipmentCheckClient client, CallOptions options, int k, long due, Measurement m)
    {
        try
        {
            await SendBatchAsync(client, options, k, due, m);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>
    /// Unary Check over <see cref="RawH2Connection"/>s: closed model (each answer sends the next call on its
    /// connection at once) or open model (one pacer, calls dealt round-robin over the connections; a call waiting
    /// for a free stream is timed from its due time all the same).
    /// </summary>
    private async Task RawAsync(Measurement m, long start, long end, CancellationToken ct)
    {
        var messages = Array.ConvertAll(_mix.Requests, RawH2Connection.GrpcFrame);
        var target = new Uri(_s.Target);
        var connections = new RawH2Connection[Math.Max(1, _s.Channels)];
        var closed = _s.Model == Model.Closed;
        try
        {
            for (var c = 0; c < connections.Length; c++)
            {
                var k = c;
                connections[c] = new RawH2Connection(target, _s.Key, messages, done =>
                {
                    if (done.Status.StatusCode == StatusCode.OK && done.Response is { } r)
                    {
                        m.Answered(done.Due, done.Index, r);
                    }
                    else
                    {
                        m.Failed(done.Due, done.Index, 1, done.Status);
                    }

                    Interlocked.Decrement(ref _inFlight);
                    var now = Stopwatch.GetTimestamp();
                    if (closed && now < end)
                    {
                        Interlocked.Increment(ref _inFlight);
                        connections[k].Post(NextIndex(), now);
                    }
                });
            }

            if (closed)
            {
                for (var w = 0; w < _s.Concurrency; w++)
                {
                    Interlocked.Increment(ref _inFlight);
                    connections[w % connections.Length].Post(NextIndex(), Stopwatch.GetTimestamp());
                }

                while (Stopwatch.GetTimestamp() < end)
                {
                    await Task.Delay(20, ct);
                }
            }
            else
            {
                long next = 0;
                var pacer = new Thread(() => Pacer.Run(start, end, _s.Rate, (long)_s.Tick.TotalNanoseconds, due =>
                {
                    if (Interlocked.Read(ref _inFlight) >= _s.MaxInFlight)
                    {
                        return false;
                    }

                    Interlocked.Increment(ref _inFlight);
                    connections[next++ % connections.Length].Post(NextIndex(), due);
                    return true;
                }))
                { IsBackground = true, Name = "pacer-raw" };
                pacer.Start();
                await Task.Run(pacer.Join, ct);
            }

            var drainUntil = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
            while (Interlocked.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < drainUntil)
            {
                await Task.Delay(10, ct);
            }
        }
        finally
        {
            foreach (var c in connections)
            {
                c?.Dispose();
            }
        }
    }

    private static CheckBatchRequest[] BuildBatches(RequestMixFile mix, int size)
    {
        // Consecutive slices of the mix (wrapping), so batch k's items are mix lines k*size.. and verifiable by position.
        var count = Math.Max(1, Math.Min(mix.Length / size, 512));
        var batches = new CheckBatchRequest[count];
        for (var k = 0; k < count; k++)
        {
            var b = new CheckBatchRequest();
            var first = (int)((long)k * size % mix.Length);
            for (var j = 0; j < size; j++)
            {
                b.Requests.Add(mix.Requests[(first + j) % mix.Length]);
            }

            batches[k] = b;
        }

        return batches;
    }

    /// <summary>Open model over one CheckStream: the pacer posts due requests; one writer keeps the stream's writes in order.</summary>
    private sealed class StreamFeed
    {
        private readonly AsyncDuplexStreamingCall<CheckRequest, CheckResponse> _call;
        private readonly Channel<(int Index, long Due, Action Done)> _queue = Channel.CreateUnbounded<(int, long, Action)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly ConcurrentQueue<(int Index, long Started)> _pending = new();
        private readonly ConcurrentQueue<Action> _done = new();
        private readonly Task _writer;
        private readonly Task _reader;
        private readonly CheckRequest[] _requests;

        public StreamFeed(AsyncDuplexStreamingCall<CheckRequest, CheckResponse> call, CheckRequest[] requests, Measurement m)
        {
            _call = call;
            _requests = requests;
            _writer = Task.Run(WriteAsync);
            _reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var r in call.ResponseStream.ReadAllAsync())
                    {
                        _pending.TryDequeue(out var p);
                        m.Answered(p.Started, p.Index, r);
                        if (_done.TryDequeue(out var d))
                        {
                            d();
                        }
                    }
                }
                catch (RpcException ex)
                {
                    m.Failed(Stopwatch.GetTimestamp(), -1, 0, ex);
                }
            });
        }

        public void Post(int index, long due, Action done) => _queue.Writer.TryWrite((index, due, done));

        private async Task WriteAsync()
        {
            await foreach (var (index, due, done) in _queue.Reader.ReadAllAsync())
            {
                _pending.Enqueue((index, due));
                _done.Enqueue(done);
                await _call.RequestStream.WriteAsync(_requests[index]);
            }

            await _call.RequestStream.CompleteAsync();
        }

        public async Task CompleteAsync()
        {
            _queue.Writer.TryComplete();
            await _writer;
            await _reader;
            _call.Dispose();
        }
    }
}
