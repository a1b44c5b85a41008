using System.Globalization;
using Grpc.Core;
using HdrHistogram;

namespace ImeiEir.FaultLoad;

/// <summary>One check: when it was due (Unix ms), how long after that its answer came (µs), and how it ended.</summary>
internal readonly record struct CheckSample(long DueMs, long LatencyUs, StatusCode Status, bool WrongAnswer, int Target)
{
    public bool Failed => Status != StatusCode.OK || WrongAnswer;

    public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"{DueMs} {LatencyUs} {(int)Status} {(WrongAnswer ? 1 : 0)} {Target}");

    public static CheckSample Parse(string line)
    {
        var p = line.Split(' ');
        return new CheckSample(
            long.Parse(p[0], CultureInfo.InvariantCulture),
            long.Parse(p[1], CultureInfo.InvariantCulture),
            (StatusCode)int.Parse(p[2], CultureInfo.InvariantCulture),
            p[3] == "1",
            int.Parse(p[4], CultureInfo.InvariantCulture));
    }
}

/// <summary>Served, failed and late checks and the latency percentiles of a set of samples.</summary>
internal sealed record CheckSummary(long Checks, long Served, long Failed, long Late, double P50Ms, double P99Ms, double P999Ms, double MaxMs, Dictionary<string, long> FailedByStatus)
{
    /// <param name="samples">The checks.</param>
    /// <param name="deadline">A check answered after this (from its due time) is late, even if it was answered.</param>
    public static CheckSummary Of(IReadOnlyCollection<CheckSample> samples, TimeSpan deadline)
    {
        var histogram = new LongHistogram(3_600_000_000L, 3);
        long served = 0, failed = 0, late = 0;
        var byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        var deadlineUs = (long)deadline.TotalMicroseconds;
        foreach (var s in samples)
        {
            histogram.RecordValue(Math.Clamp(s.LatencyUs, 1, histogram.HighestTrackableValue));
            if (s.Failed)
            {
                failed++;
                var name = s.WrongAnswer ? "WrongAnswer" : s.Status.ToString();
                byStatus[name] = byStatus.GetValueOrDefault(name) + 1;
            }
            else if (s.LatencyUs > deadlineUs)
            {
                late++;
            }
            else
            {
                served++;
            }
        }

        double Ms(double percentile) => samples.Count == 0 ? 0 : histogram.GetValueAtPercentile(percentile) / 1000.0;
        return new CheckSummary(samples.Count, served, failed, late, Ms(50), Ms(99), Ms(99.9), samples.Count == 0 ? 0 : histogram.GetMaxValue() / 1000.0, byStatus);
    }

    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"checks {Checks}, served {Served}, failed {Failed}, late {Late}; p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms, p99.9 {P999Ms:F2} ms, max {MaxMs:F1} ms{(FailedByStatus.Count == 0 ? "" : " (" + string.Join(", ", FailedByStatus.Select(kv => $"{kv.Key} {kv.Value}")) + ")")}");
}
