using System.Diagnostics;
using System.Globalization;
using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Data;
using ImeiEir.LoadTest.Report;

namespace ImeiEir.LoadTest.Load;

/// <summary><c>run</c>: one load, a live line on the console, then the report (Markdown, JSON, PNG).</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(Args a, CancellationToken ct)
    {
        var s = LoadSettings.Read(a);
        a.EnsureAllRead();
        var mix = RequestMixFile.Read(s.MixPath, s.MixLimit);
        using var target = new GrpcTarget(s.Target, s.Channels, s.Key, s.Tls);
        var runner = new LoadRunner(s, mix, target);
        var startedAt = DateTimeOffset.UtcNow;
        var shape = s.Model == Model.Closed
            ? $"{s.Concurrency} {(s.Api == Api.Stream ? "streams x " + s.Depth + " in flight" : "callers")}"
            : $"{s.Rate:N0} checks/s";
        Console.WriteLine($"{s.Label}: {s.Api} {s.Model} model, {shape}, {s.Channels} channel(s), warm-up {s.Warmup.TotalSeconds:0.#} s + {s.Duration.TotalSeconds:0.#} s against {s.Target} ({mix.Length:N0} requests in the mix)");

        var lastChecks = 0L;
        var lastAt = Stopwatch.GetTimestamp();
        Measurement? m;
        await using (new ConsoleProgress(() =>
        {
            var cur = runner.Current;
            if (cur is null)
            {
                return $"{s.Label}: connecting";
            }

            var now = Stopwatch.GetTimestamp();
            var all = cur.AllChecks;
            var rate = (all - lastChecks) * (double)Stopwatch.Frequency / Math.Max(1, now - lastAt);
            lastChecks = all;
            lastAt = now;
            var phase = now < cur.MeasureStart ? "warm-up" : now < cur.MeasureEnd ? "measure" : "drain";
            var t = (now - cur.Start) / (double)Stopwatch.Frequency;
            var h = cur.Latency;
            var p = h.TotalCount > 0
                ? $"p50 {RunReport.Fmt(h.GetValueAtPercentile(50) * 1e6 / Stopwatch.Frequency)} p99 {RunReport.Fmt(h.GetValueAtPercentile(99) * 1e6 / Stopwatch.Frequency)}"
                : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"{s.Label} [{phase} {t,5:F1} s] {rate,12:N0} checks/s  {p}  errors {cur.UnexpectedStatuses:N0}  wrong {cur.Mismatches:N0}");
        }))
        {
            m = await runner.RunAsync(ct);
        }

        var report = RunReport.From(s, m, startedAt);
        Console.WriteLine(report.OneLine());
        if (s.Model == Model.Open)
        {
            var (mean, max, fired) = Pacer.Lateness;
            Console.WriteLine($"  pacer: {fired:N0} calls started, {mean:N0} µs late on average, {max:N0} µs at most (client side; inside the latencies above)");
        }

        foreach (var e in report.ErrorSamples.Take(5))
        {
            Console.WriteLine("  " + e);
        }

        if (s.Out.Length > 0)
        {
            report.Write(s.Out, s.Png);
            Console.WriteLine($"report: {s.Out}.md, .json{(s.Png ? ", .png" : "")}");
        }

        return report.Errors > 0 ? 3 : 0;
    }
}
