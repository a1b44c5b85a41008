using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using ImeiEir.LoadTest.Data;
using ImeiEir.LoadTest.Load;

namespace ImeiEir.LoadTest.Report;

/// <summary>One point of the latency spectrum: the latency at or below which <see cref="Percentile"/> % of the calls finished.</summary>
internal sealed record SpectrumPoint(double Percentile, double Us);

internal sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean, long Count);

/// <summary>The result of one <c>run</c>, as written to JSON (and read back by <c>summary</c>).</summary>
internal sealed record RunReport
{
    public string Kind { get; init; } = "run";

    public required string Label { get; init; }

    public required string Target { get; init; }

    public required string Api { get; init; }

    public required string Model { get; init; }

    public int Concurrency { get; init; }

    public int Channels { get; init; }

    public int BatchSize { get; init; }

    public int Depth { get; init; }

    public double Rate { get; init; }

    /// <summary>Open model: the pacer's shortest sleep (requests due within it go out together), microseconds.</summary>
    public double TickUs { get; init; }

    public double WarmupSeconds { get; init; }

    public double DurationSeconds { get; init; }

    public bool Verified { get; init; }

    public required string StartedAt { get; init; }

    public long Calls { get; init; }

    public long Checks { get; init; }

    public double ChecksPerSecond { get; init; }

    public double CallsPerSecond { get; init; }

    /// <summary>Latency of one call (a whole batch for CheckBatch; one message for CheckStream), microseconds.</summary>
    public required LatencySummary LatencyUs { get; init; }

    /// <summary>Latency of the calls the node worked on (answered, or INVALID_ARGUMENT as the mix expects), microseconds.</summary>
    public LatencySummary? AcceptedLatencyUs { get; init; }

    /// <summary>Calls the node worked on.</summary>
    public long Accepted { get; init; }

    /// <summary>Calls refused for load (RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED).</summary>
    public long Shed { get; init; }

    /// <summary><see cref="Shed"/> / (<see cref="Accepted"/> + <see cref="Shed"/>).</summary>
    public double ShedShare { get; init; }

    /// <summary>The deadline set on every call (0: none), milliseconds.</summary>
    public double DeadlineMs { get; init; }

    /// <summary>Open model: the pacer's mean and largest lateness (client side, inside every latency), microseconds.</summary>
    public double PacerMeanLateUs { get; init; }

    /// <inheritdoc cref="PacerMeanLateUs"/>
    public double PacerMaxLateUs { get; init; }

    public required IReadOnlyDictionary<string, long> StatusCodes { get; init; }

    public long ExpectedInvalidArgument { get; init; }

    public long UnexpectedStatuses { get; init; }

    public long Mismatches { get; init; }

    /// <summary>Unexpected statuses plus wrong answers: a wrong answer is an error.</summary>
    public long Errors { get; init; }

    public required IReadOnlyDictionary<string, long> ChecksByCategory { get; init; }

    public required IReadOnlyList<string> ErrorSamples { get; init; }

    public required IReadOnlyList<long> ChecksPerSecondTimeline { get; init; }

    /// <summary>p99 of the calls due (open model) or started (closed) in each second of the measured window, µs.</summary>
    public required IReadOnlyList<double> P99BySecondUs { get; init; }

    /// <summary>The slowest call of each second of the measured window, µs.</summary>
    public required IReadOnlyList<double> MaxBySecondUs { get; init; }

    public required IReadOnlyList<SpectrumPoint> Spectrum { get; init; }

    /// <summary>CPU in the measured window: the node's (<c>--server-pid</c>), this tool's, the machine's; null when not sampled.</summary>
    public CpuSummary? Cpu { get; init; }

    public static JsonSerializerOptions Json { get; } = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static RunReport From(LoadSettings s, Measurement m, DateTimeOffset startedAt)
    {
        var h = m.Latency;
        var seconds = s.Duration.TotalSeconds;
        double Us(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        LatencySummary Summary(LongConcurrentHistogram x) => x.TotalCount == 0 ? new LatencySummary(0, 0, 0, 0, 0, 0, 0) : new LatencySummary(
            Math.Round(Us(x.GetValueAtPercentile(50)), 1),
            Math.Round(Us(x.GetValueAtPercentile(90)), 1),
            Math.Round(Us(x.GetValueAtPercentile(99)), 1),
            Math.Round(Us(x.GetValueAtPercentile(99.9)), 1),
            Math.Round(Us(x.GetMaxValue()), 1),
            Math.Round(x.GetMean() * 1_000_000.0 / Stopwatch.Frequency, 1),
            x.TotalCount);
        var spectrum = new List<SpectrumPoint>();
        if (h.TotalCount > 0)
        {
            foreach (var v in h.Percentiles(5))
            {
                spectrum.Add(new SpectrumPoint(Math.Round(v.Percentile, 5), Math.Round(Us(v.ValueIteratedTo), 1)));
                if (v.Percentile >= 99.9999)
                {
                    break;
                }
            }
        }

        var categories = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < m.CategoryChecks.Count; i++)
        {
            if (m.CategoryChecks[i] > 0)
            {
                categories[RequestMixFile.Categories[i]] = m.CategoryChecks[i];
            }
        }

        var unexpected = m.UnexpectedStatuses;
        var accepted = m.AcceptedLatency.TotalCount;
        var (pacerMean, pacerMax, _) = s.Model == Load.Model.Open ? Pacer.Lateness : (0, 0, 0);
        return new RunReport
        {
            Label = s.Label,
            Target = s.Target,
            Api = s.Api.ToString().ToLowerInvariant(),
            Model = s.Model.ToString().ToLowerInvariant(),
            Concurrency = s.Model == Load.Model.Closed ? s.Concurrency : 0,
            Channels = s.Channels,
            BatchSize = s.Api == Load.Api.Batch ? s.BatchSize : 0,
            Depth = s.Api == Load.Api.Stream && s.Model == Load.Model.Closed ? s.Depth : 0,
            Rate = s.Rate,
            TickUs = s.Model == Load.Model.Open ? s.Tick.TotalMicroseconds : 0,
            WarmupSeconds = s.Warmup.TotalSeconds,
            DurationSeconds = seconds,
            Verified = s.Verify,
            StartedAt = startedAt.ToString("u", CultureInfo.InvariantCulture),
            Calls = m.Ops,
            Checks = m.Checks,
            ChecksPerSecond = Math.Round(m.Checks / seconds, 1),
            CallsPerSecond = Math.Round(m.Ops / seconds, 1),
            LatencyUs = Summary(h),
            AcceptedLatencyUs = Summary(m.AcceptedLatency),
            Accepted = accepted,
            Shed = m.Shed,
            ShedShare = accepted + m.Shed == 0 ? 0 : Math.Round((double)m.Shed / (accepted + m.Shed), 4),
            DeadlineMs = s.Deadline.TotalMilliseconds,
            PacerMeanLateUs = Math.Round(pacerMean, 1),
            PacerMaxLateUs = Math.Round(pacerMax, 1),
            StatusCodes = m.StatusCodes(),
            ExpectedInvalidArgument = m.ExpectedInvalid,
            UnexpectedStatuses = unexpected,
            Mismatches = m.Mismatches,
            Errors = unexpected + m.Mismatches,
            ChecksByCategory = categories,
            ErrorSamples = m.MismatchSamples,
            ChecksPerSecondTimeline = m.Timeline.Take((int)Math.Ceiling(s.Warmup.TotalSeconds + seconds) + 1).ToArray(),
            P99BySecondUs = [.. m.LatencyBySecond.Select(b => b.TotalCount == 0 ? 0 : Math.Round(Us(b.GetValueAtPercentile(99)), 1))],
            MaxBySecondUs = [.. m.LatencyBySecond.Select(b => b.TotalCount == 0 ? 0 : Math.Round(Us(b.GetMaxValue()), 1))],
            Spectrum = spectrum,
            Cpu = CpuSummary.From(m.CpuStart, m.CpuEnd, m.Checks, seconds, s.ServerPid > 0),
        };
    }

    public string OneLine() => string.Create(CultureInfo.InvariantCulture,
        $"{Label}: {ChecksPerSecond:N0} checks/s ({CallsPerSecond:N0} calls/s); latency p50 {Fmt(LatencyUs.P50)}, p90 {Fmt(LatencyUs.P90)}, p99 {Fmt(LatencyUs.P99)}, p99.9 {Fmt(LatencyUs.P999)}, max {Fmt(LatencyUs.Max)}; " +
        $"errors {Errors:N0} ({UnexpectedStatuses:N0} unexpected statuses, {Mismatches:N0} wrong answers), expected INVALID_ARGUMENT {ExpectedInvalidArgument:N0}") +
        (Cpu is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; CPU per check: node {Cpu.ServerUsPerCheck:0.0} µs, this tool {Cpu.ClientUsPerCheck:0.0} µs, machine {Cpu.MachineUsPerCheck:0.0} µs ({Cpu.MachineBusyCores:0.00} cores busy)")) +
        (Shed == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; shed {Shed:N0} ({ShedShare:P1}), accepted p50 {Fmt(AcceptedLatencyUs?.P50 ?? 0)}, p99 {Fmt(AcceptedLatencyUs?.P99 ?? 0)}, p99.9 {Fmt(AcceptedLatencyUs?.P999 ?? 0)}"));

    /// <summary>Microseconds as "812 µs" or "1.24 ms".</summary>
    public static string Fmt(double us) => us >= 1000
        ? (us / 1000).ToString(us >= 100_000 ? "N0" : "0.00", CultureInfo.InvariantCulture) + " ms"
        : us.ToString("N0", CultureInfo.InvariantCulture) + " µs";

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        sb.AppendLine(ic, $"# Load run `{Label}`");
        sb.AppendLine();
        sb.AppendLine(ic, $"- target `{Target}`, API `{Api}`, {Model} model, started {StartedAt}");
        var shape = Model == "closed"
            ? $"{Concurrency} concurrent {(Api == "stream" ? "streams" : "callers")}"
            : string.Create(ic, $"arrival rate {Rate:N0} checks/s (latency from the intended send time; pacer tick {TickUs:0} µs)");
        var extra = (BatchSize > 0 ? $", batch size {BatchSize}" : "") + (Depth > 0 ? $", {Depth} messages in flight per stream" : "");
        sb.AppendLine(ic, $"- {shape}, {Channels} channel(s){extra}");
        sb.AppendLine(ic, $"- warm-up {WarmupSeconds:0.#} s, measured {DurationSeconds:0.#} s; answers {(Verified ? "verified against the request mix" : "not verified (transport baseline)")}");
        sb.AppendLine();
        sb.AppendLine("| checks/s | calls/s | p50 | p90 | p99 | p99.9 | max | errors | wrong answers |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine(ic, $"| {ChecksPerSecond:N0} | {CallsPerSecond:N0} | {Fmt(LatencyUs.P50)} | {Fmt(LatencyUs.P90)} | {Fmt(LatencyUs.P99)} | {Fmt(LatencyUs.P999)} | {Fmt(LatencyUs.Max)} | {Errors:N0} | {Mismatches:N0} |");
        sb.AppendLine();
        if (Shed > 0 && AcceptedLatencyUs is { } a)
        {
            sb.AppendLine(ic, $"Shed (RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED): {Shed:N0} of {Accepted + Shed:N0} calls ({ShedShare:P1}). Calls worked on: p50 {Fmt(a.P50)}, p90 {Fmt(a.P90)}, p99 {Fmt(a.P99)}, p99.9 {Fmt(a.P999)}, max {Fmt(a.Max)}.");
            sb.AppendLine();
        }

        sb.AppendLine("Status codes: " + string.Join(", ", StatusCodes.Select(kv => $"{kv.Key} {kv.Value:N0}")) +
            (ExpectedInvalidArgument > 0 ? $" (of which INVALID_ARGUMENT expected for malformed requests: {ExpectedInvalidArgument:N0})" : ""));
        sb.AppendLine();
        sb.AppendLine("Checks by category: " + string.Join(", ", ChecksByCategory.Select(kv => $"{kv.Key} {kv.Value:N0}")));
        if (Cpu is not null)
        {
            sb.AppendLine();
            sb.AppendLine(ic, $"CPU in the window: node {Cpu.ServerSeconds:0.00} s ({Cpu.ServerUsPerCheck:0.0} µs per check), this tool {Cpu.ClientSeconds:0.00} s ({Cpu.ClientUsPerCheck:0.0} µs), machine {Cpu.MachineSeconds:0.00} s ({Cpu.MachineBusyCores:0.00} cores busy)");
        }

        if (ErrorSamples.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("First errors:");
            foreach (var e in ErrorSamples)
            {
                sb.AppendLine(ic, $"- `{e}`");
            }
        }

        return sb.ToString();
    }

    public void Write(string pathWithoutExtension, bool png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension))!);
        File.WriteAllText(pathWithoutExtension + ".json", JsonSerializer.Serialize(this, Json));
        File.WriteAllText(pathWithoutExtension + ".md", ToMarkdown() + (png ? $"\n![latency]({Path.GetFileName(pathWithoutExtension)}.png)\n" : ""));
        if (png)
        {
            Charts.Latency([this], $"{Label}: latency by percentile", pathWithoutExtension + ".png");
        }
    }
}
