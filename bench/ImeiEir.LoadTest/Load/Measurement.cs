using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using HdrHistogram;
using ImeiEir.Contracts.V1;
using ImeiEir.LoadTest.Data;

namespace ImeiEir.LoadTest.Load;

/// <summary>
/// Thread-safe counters of one run. Latency is kept in <see cref="Stopwatch"/> ticks in an HdrHistogram; only
/// operations that start (closed model) or were due (open model) inside the measurement window count, so the
/// warm-up and the drain at the end are left out. A wrong answer is an error: it counts in
/// <see cref="Mismatches"/>, never as a success. Calls the node refused for load (RESOURCE_EXHAUSTED,
/// DEADLINE_EXCEEDED) count in <see cref="Shed"/>; <see cref="AcceptedLatency"/> holds only the calls the node
/// worked on (OK, and the INVALID_ARGUMENT the mix expects).
/// </summary>
internal sealed class Measurement
{
    private const int MaxSamples = 20;
    private readonly RequestMixFile _mix;
    private readonly bool _verify;
    private readonly bool _allowShed;
    private readonly long[] _status = new long[20];
    private readonly long[] _categoryChecks = new long[RequestMixFile.Categories.Length];
    private readonly long[] _timeline;
    private readonly ConcurrentQueue<string> _samples = new();
    private long _ops;
    private long _checks;
    private long _mismatches;
    private long _expectedInvalid;
    private long _allChecks;
    private long _shed;

    /// <param name="allowShed">Refusals for load are expected (an overload run): not counted as errors.</param>
    public Measurement(RequestMixFile mix, bool verify, long start, TimeSpan warmup, TimeSpan duration, bool allowShed = false)
    {
        _mix = mix;
        _verify = verify;
        _allowShed = allowShed;
        Start = start;
        MeasureStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        MeasureEnd = MeasureStart + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        _timeline = new long[(int)Math.Ceiling((warmup + duration).TotalSeconds) + 30];
        LatencyBySecond = new LongConcurrentHistogram[Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds))];
        for (var i = 0; i < LatencyBySecond.Length; i++)
        {
            LatencyBySecond[i] = new LongConcurrentHistogram(1, TimeStamp.Minutes(2), 2);
        }
    }

    // One call's latency (returned), in the window's histogram and in its second's (the caller checked InWindow).
    private long RecordLatency(long startedAt, long end)
    {
        var latency = Math.Max(1, end - startedAt);
        Latency.RecordValue(latency);
        LatencyBySecond[Math.Min(LatencyBySecond.Length - 1, (int)((startedAt - MeasureStart) / Stopwatch.Frequency))].RecordValue(latency);
        return latency;
    }

    public LongConcurrentHistogram Latency { get; } = new(1, TimeStamp.Minutes(2), 3);

    /// <summary>
    /// The same latencies by the second of the window they were due (open model) or started in (closed): where in the
    /// window a tail came from, to lay beside what else ran then (a sync's batches, a checkpoint, a collection).
    /// </summary>
    public LongConcurrentHistogram[] LatencyBySecond { get; }

    /// <summary>Latency of the calls the node worked on: answered, or INVALID_ARGUMENT as the mix expects.</summary>
    public LongConcurrentHistogram AcceptedLatency { get; } = new(1, TimeStamp.Minutes(2), 3);

    /// <summary>Calls (or stream ends) in the window refused for load: RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    public long Start { get; }

    public long MeasureStart { get; }

    public long MeasureEnd { get; }

    public long Ops => Interlocked.Read(ref _ops);

    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>Checks completed since the start, warm-up included (for the live line).</summary>
    public long AllChecks => Interlocked.Read(ref _allChecks);

    public long Mismatches => Interlocked.Read(ref _mismatches);

    public long ExpectedInvalid => Interlocked.Read(ref _expectedInvalid);

    public IReadOnlyList<string> MismatchSamples => [.. _samples];

    /// <summary>CPU at the start and the end of the measured window (null: not sampled).</summary>
    public CpuSample? CpuStart { get; set; }

    public CpuSample? CpuEnd { get; set; }

    public IReadOnlyList<long> CategoryChecks => _categoryChecks;

    /// <summary>Checks completed per second since the start (warm-up included), for the chart.</summary>
    public long[] Timeline => _timeline;

    /// <summary>Status codes of the calls in the window, expected INVALID_ARGUMENT included.</summary>
    public IReadOnlyDictionary<string, long> StatusCodes()
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < _status.Length; i++)
        {
            var n = Interlocked.Read(ref _status[i]);
            if (n > 0)
            {
                d[((StatusCode)i).ToString()] = n;
            }
        }

        return d;
    }

    /// <summary>Calls that ended with a status other than OK, minus the INVALID_ARGUMENT the mix expects.</summary>
    public long UnexpectedStatuses
    {
        get
        {
            long n = 0;
            for (var i = 1; i < _status.Length; i++)
            {
                n += Interlocked.Read(ref _status[i]);
            }

            return n - ExpectedInvalid - (_allowShed ? Shed : 0);
        }
    }

    /// <summary>A status the node answers when it refuses a call for load, or the client gave up at its deadline.</summary>
    public static bool IsShed(StatusCode code) => code is StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded;

    public bool InWindow(long startedAt) => startedAt >= MeasureStart && startedAt < MeasureEnd;

    /// <summary>A unary call or a stream message answered.</summary>
    public void Answered(long startedAt, int index, CheckResponse response)
    {
        var end = Stopwatch.GetTimestamp();
        Tick(end, 1);
        if (!InWindow(startedAt))
        {
            return;
        }

        AcceptedLatency.RecordValue(RecordLatency(startedAt, end));
        Interlocked.Increment(ref _ops);
        Interlocked.Increment(ref _checks);
        Interlocked.Increment(ref _status[0]);
        Verify(index, response);
    }

    /// <summary>A batch answered: one latency sample for the call, every item verified.</summary>
    public void AnsweredBatch(long startedAt, int firstIndex, CheckBatchResponse response, int expectedCount)
    {
        var end = Stopwatch.GetTimestamp();
        Tick(end, response.Responses.Count);
        if (!InWindow(startedAt))
        {
            return;
        }

        AcceptedLatency.RecordValue(RecordLatency(startedAt, end));
        Interlocked.Increment(ref _ops);
        Interlocked.Add(ref _checks, response.Responses.Count);
        Interlocked.Increment(ref _status[0]);
        if (response.Responses.Count != expectedCount)
        {
            Interlocked.Add(ref _mismatches, Math.Abs(expectedCount - response.Responses.Count));
            Sample($"batch answered {response.Responses.Count} items for {expectedCount}");
        }

        var n = Math.Min(expectedCount, response.Responses.Count);
        for (var j = 0; j < n; j++)
        {
            Verify((firstIndex + j) % _mix.Length, response.Responses[j]);
        }
    }

    /// <summary>
    /// An N5g-eir answer: HTTP status in the gRPC code that means the same (200 OK, 400 INVALID_ARGUMENT, 401
    /// UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 503 UNAVAILABLE, else UNKNOWN); a 200's
    /// <c>{"status":…}</c> is compared with the mix's equipment status, a 400 is what a malformed request expects.
    /// </summary>
    public void AnsweredHttp(long startedAt, int index, int httpStatus, ReadOnlySpan<byte> body)
    {
        var end = Stopwatch.GetTimestamp();
        Tick(end, 1);
        if (!InWindow(startedAt))
        {
            return;
        }

        RecordLatency(startedAt, end);
        Interlocked.Increment(ref _ops);
        Interlocked.Increment(ref _checks);
        var code = httpStatus switch
        {
            200 => StatusCode.OK,
            400 => StatusCode.InvalidArgument,
            401 => StatusCode.Unauthenticated,
            403 => StatusCode.PermissionDenied,
            404 => StatusCode.NotFound,
            503 => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        Interlocked.Increment(ref _status[(int)code]);
        var e = _mix.Expected[index];
        Interlocked.Increment(ref _categoryChecks[e.Category]);
        if (!_verify)
        {
            return;
        }

        if (code == StatusCode.InvalidArgument && e.IsInvalid)
        {
            Interlocked.Increment(ref _expectedInvalid);
            return;
        }

        if (code == StatusCode.OK)
        {
            var status = N5gStatusOf(body);
            if (!e.IsInvalid && status == e.Status)
            {
                return;
            }

            Interlocked.Increment(ref _mismatches);
            Sample($"request {index} ({RequestMixFile.Categories[e.Category]} {Show(index)}): expected {e.Describe()}, got 200 {status}");
            return;
        }

        Sample($"request {index} ({RequestMixFile.Categories[e.Category]} {Show(index)}): HTTP {httpStatus} {System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)])}");
    }

    /// <summary>An N5g-eir request that got no HTTP answer.</summary>
    public void FailedHttp(long startedAt, Exception ex)
    {
        var end = Stopwatch.GetTimestamp();
        Tick(end, 1);
        if (!InWindow(startedAt))
        {
            return;
        }

        RecordLatency(startedAt, end);
        Interlocked.Increment(ref _ops);
        Interlocked.Increment(ref _checks);
        Interlocked.Increment(ref _status[(int)StatusCode.Unavailable]);
        Sample($"no answer: {ex.Message}");
    }

    private static EquipmentStatus N5gStatusOf(ReadOnlySpan<byte> body)
    {
        // {"status":"WHITELISTED"} (EirResponseData): the value after "status":".
        ReadOnlySpan<byte> key = "\"status\":\""u8;
        var at = body.IndexOf(key);
        if (at < 0)
        {
            return EquipmentStatus.Unspecified;
        }

        var value = body[(at + key.Length)..];
        return value.StartsWith("WHITELISTED"u8) ? EquipmentStatus.Whitelisted
            : value.StartsWith("BLACKLISTED"u8) ? EquipmentStatus.Blacklisted
            : value.StartsWith("GREYLISTED"u8) ? EquipmentStatus.Greylisted
            : EquipmentStatus.Unspecified;
    }

    /// <summary>A call failed with a status; INVALID_ARGUMENT naming the field of a malformed request is the expected answer.</summary>
    public void Failed(long startedAt, int index, int checks, RpcException ex) => Failed(startedAt, index, checks, ex.Status);

    /// <inheritdoc cref="Failed(long, int, int, RpcException)"/>
    public void Failed(long startedAt, int index, int checks, Status status)
    {
        var end = Stopwatch.GetTimestamp();
        Tick(end, checks);
        if (!InWindow(startedAt))
        {
            return;
        }

        var latency = RecordLatency(startedAt, end);
        Interlocked.Increment(ref _ops);
        Interlocked.Add(ref _checks, checks);
        var code = (int)status.StatusCode;
        Interlocked.Increment(ref _status[code < _status.Length ? code : _status.Length - 1]);
        if (IsShed(status.StatusCode))
        {
            Interlocked.Increment(ref _shed);
            if (_allowShed)
            {
                return;
            }
        }

        if (checks != 1 || index < 0)
        {
            Sample($"{status.StatusCode}: {status.Detail}");
            return;
        }

        var e = _mix.Expected[index];
        Interlocked.Increment(ref _categoryChecks[e.Category]);
        if (_verify && e.IsInvalid && status.StatusCode == StatusCode.InvalidArgument && status.Detail.StartsWith(e.InvalidField, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _expectedInvalid);
            AcceptedLatency.RecordValue(latency);
        }
        else
        {
            Sample($"request {index} ({RequestMixFile.Categories[e.Category]} {Show(index)}): {status.StatusCode} {status.Detail}");
        }
    }

    private void Verify(int index, CheckResponse r)
    {
        var e = _mix.Expected[index];
        Interlocked.Increment(ref _categoryChecks[e.Category]);
        if (!_verify || e.Matches(r))
        {
            return;
        }

        // A unary malformed request answered OK is a mismatch too (it should have been INVALID_ARGUMENT).
        Interlocked.Increment(ref _mismatches);
        Sample($"request {index} ({RequestMixFile.Categories[e.Category]} {Show(index)}): expected {e.Describe()}, got {r.Verdict}/{r.EquipmentStatus}/{r.Reason} {r.Error}");
    }

    private string Show(int index)
    {
        var q = _mix.Requests[index];
        return $"imei='{q.Imei}' msisdn='{q.Msisdn}' imsi='{q.Imsi}'";
    }

    private void Sample(string text)
    {
        if (_samples.Count < MaxSamples)
        {
            _samples.Enqueue(text);
        }
    }

    private void Tick(long end, int checks)
    {
        Interlocked.Add(ref _allChecks, checks);
        var second = (int)((end - Start) / Stopwatch.Frequency);
        if ((uint)second < (uint)_timeline.Length)
        {
            Interlocked.Add(ref _timeline[second], checks);
        }
    }
}
