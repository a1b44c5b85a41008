using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Report;

/// <summary>
/// <c>summary</c>: reads the reports that bench/run.sh leaves in one folder and states each goal of issue 4 §3 as
/// met or not, with the measured ratio against the same run's baseline (medians over the rounds), plus two charts.
/// </summary>
internal static class SummaryCommand
{
    public const string Help = """
        summary: aggregate a bench/run.sh results folder into summary.md, summary.json, latency.png, throughput.png.
          --dir DIR              the folder (default bench/results)
        """;

    private static readonly CultureInfo Ic = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(Args a)
    {
        var dir = a.Get("dir", "bench/results");
        a.EnsureAllRead();
        var md = new StringBuilder();
        var goals = new List<Goal>();
        var machine = Node(dir, "machine.json");
        var seed = Node(dir, "seed.json");

        var noop = Rounds(dir, "noop-check");
        var eir = Rounds(dir, "eir-check");
        var naive = Rounds(dir, "naive-check");
        var open = Run(dir, "eir-open.json");
        var noopOpen = Run(dir, "noop-open.json");
        var naiveBatch = Run(dir, "naive-batch.json");
        var h2OpenNoop = Node(dir, "h2load-open-noop.json");
        var h2OpenEir = Node(dir, "h2load-open-eir.json");
        var seedScale = Node(dir, "seed-scale.json");
        var batch = Run(dir, "eir-batch.json");
        var stream = Run(dir, "eir-stream.json");
        var noopBatch = Run(dir, "noop-batch.json");
        var noopStream = Run(dir, "noop-stream.json");
        var syncIdle = Run(dir, "sync-idle.json");
        var syncDuring = Run(dir, "sync-during.json");
        var sync = Node(dir, "sync.json");
        var syncPacedDuring = Run(dir, "sync-paced-during.json");
        var syncPaced = Node(dir, "sync-paced.json");
        var propagation = Node(dir, "propagation.json");
        var hydration = Node(dir, "hydration.json");
        var hydrationScale = Node(dir, "hydration-scale.json");
        var h2Noop = Node(dir, "h2load-noop.json");
        var h2Eir = Node(dir, "h2load-eir.json");
        var h2Naive = Node(dir, "h2load-naive.json");

        double Med(IReadOnlyList<RunReport> runs, Func<RunReport, double> f) => Median(runs.Select(f));

        if (eir.Count > 0 && noop.Count > 0)
        {
            var ratio = Med(eir, r => r.ChecksPerSecond) / Med(noop, r => r.ChecksPerSecond);
            goals.Add(new Goal("Transport limit: unary Check >= 85 % of the no-op handler's throughput", ratio >= 0.85,
                $"{Med(eir, r => r.ChecksPerSecond):N0} vs {Med(noop, r => r.ChecksPerSecond):N0} checks/s = **{ratio:P0}** of the baseline (median of {eir.Count} rounds)"));
        }

        if (eir.Count > 0 && naive.Count > 0)
        {
            var ratio = Med(eir, r => r.ChecksPerSecond) / Med(naive, r => r.ChecksPerSecond);
            var p99 = Med(eir, r => r.LatencyUs.P99);
            var naiveP99 = Med(naive, r => r.LatencyUs.P99);
            goals.Add(new Goal("Naive design: ImeiEir >= 3x the throughput of a Redis lookup per check, at a lower p99", ratio >= 3 && p99 < naiveP99,
                $"{Med(eir, r => r.ChecksPerSecond):N0} vs {Med(naive, r => r.ChecksPerSecond):N0} checks/s = **{ratio:F2}x**; p99 {RunReport.Fmt(p99)} vs {RunReport.Fmt(naiveP99)} (unary, same concurrency, medians); " +
                $"the no-op transport itself is {Med(noop, r => r.ChecksPerSecond) / Med(naive, r => r.ChecksPerSecond):F2}x the naive design" +
                H2NaiveNote() +
                (batch is not null && naiveBatch is not null ? $"; with CheckBatch x{batch.BatchSize}: {batch.ChecksPerSecond:N0} vs {naiveBatch.ChecksPerSecond:N0} checks/s = **{batch.ChecksPerSecond / Math.Max(1, naiveBatch.ChecksPerSecond):F1}x**, p99 {RunReport.Fmt(batch.LatencyUs.P99)} vs {RunReport.Fmt(naiveBatch.LatencyUs.P99)}" : "")));
        }

        if (open is not null)
        {
            goals.Add(new Goal("Latency: p99 <= 1 ms and p99.9 <= 5 ms at half the peak unary rate (open model)", open.LatencyUs.P99 <= 1000 && open.LatencyUs.P999 <= 5000,
                $"at {open.Rate:N0} checks/s: p50 {RunReport.Fmt(open.LatencyUs.P50)}, p99 **{RunReport.Fmt(open.LatencyUs.P99)}**, p99.9 **{RunReport.Fmt(open.LatencyUs.P999)}**, max {RunReport.Fmt(open.LatencyUs.Max)}" +
                (noopOpen is null ? "" : $"; the no-op handler at the same rate: p99 {RunReport.Fmt(noopOpen.LatencyUs.P99)}, p99.9 {RunReport.Fmt(noopOpen.LatencyUs.P999)}") +
                (h2OpenEir is null || h2OpenNoop is null ? "" : string.Create(Ic, $"; h2load at the same rate: ImeiEir p99 {RunReport.Fmt(h2OpenEir["p99Us"]!.GetValue<double>())}, p99.9 {RunReport.Fmt(h2OpenEir["p999Us"]!.GetValue<double>())}, no-op p99 {RunReport.Fmt(h2OpenNoop["p99Us"]!.GetValue<double>())}, p99.9 {RunReport.Fmt(h2OpenNoop["p999Us"]!.GetValue<double>())}"))));
        }

        if (batch is not null || stream is not null)
        {
            var best = Math.Max(batch?.ChecksPerSecond ?? 0, stream?.ChecksPerSecond ?? 0);
            goals.Add(new Goal("Batch/stream: >= 1 000 000 checks/s with CheckBatch/CheckStream", best >= 1_000_000,
                $"CheckBatch {batch?.ChecksPerSecond ?? 0:N0}/s (batch {batch?.BatchSize}, no-op {noopBatch?.ChecksPerSecond ?? 0:N0}/s); CheckStream {stream?.ChecksPerSecond ?? 0:N0}/s (no-op {noopStream?.ChecksPerSecond ?? 0:N0}/s); best **{best / 1e6:F2} M/s**"));
        }

        if (sync is not null && syncIdle is not null && syncDuring is not null)
        {
            var rate = sync["result"]?["deltasPerSecond"]?.GetValue<double>() ?? 0;
            var seedRate = seed?["sync"]?["deltasPerSecond"]?.GetValue<double>() ?? 0;
            var ratio = syncDuring.LatencyUs.P99 / Math.Max(1, syncIdle.LatencyUs.P99);
            goals.Add(new Goal("Sync: >= 300 000 deltas/s acked durable while checks run, check p99 during sync within 2x of idle", rate >= 300_000 && ratio <= 2,
                $"**{rate:N0} deltas/s** acked while checks ran at {syncDuring.Rate:N0}/s (seed alone: {seedRate:N0} deltas/s); check p99 {RunReport.Fmt(syncDuring.LatencyUs.P99)} during sync vs {RunReport.Fmt(syncIdle.LatencyUs.P99)} idle = **{ratio:F1}x**" + PacedNote()));
        }

        string H2NaiveNote()
        {
            if (h2Eir is null || h2Naive is null)
            {
                return "";
            }

            var note = string.Create(Ic, $"; h2load (an external C client: the .NET client's own cost is out of the figure): {N(h2Eir["requestsPerSecond"])} vs {N(h2Naive["requestsPerSecond"])} checks/s = **{H2Rate(h2Eir) / Math.Max(1, H2Rate(h2Naive)):F2}x**");
            return h2Noop is null ? note : note + string.Create(Ic, $", the no-op handler {N(h2Noop["requestsPerSecond"])}/s = {H2Rate(h2Noop) / Math.Max(1, H2Rate(h2Naive)):F2}x");
        }

        string PacedNote()
        {
            if (syncPaced is null || syncPacedDuring is null || syncIdle is null)
            {
                return "";
            }

            var paced = syncPaced["result"]?["deltasPerSecond"]?.GetValue<double>() ?? 0;
            var pacedRatio = syncPacedDuring.LatencyUs.P99 / Math.Max(1, syncIdle.LatencyUs.P99);
            return string.Create(Ic, $"; sync paced at {paced:N0} deltas/s: check p99 {RunReport.Fmt(syncPacedDuring.LatencyUs.P99)} = {pacedRatio:F1}x idle");
        }

        if (propagation is not null)
        {
            var p99 = propagation["propagationMs"]!["p99"]!.GetValue<double>();
            goals.Add(new Goal("Propagation: ack on node A to the same answer on node B, p99 <= 250 ms", p99 <= 250,
                string.Create(Ic, $"{propagation["changes"]} changes: p50 {propagation["propagationMs"]!["p50"]!.GetValue<double>():F2} ms, p99 **{p99:F2} ms**, max {propagation["propagationMs"]!["max"]!.GetValue<double>():F2} ms")));
        }

        foreach (var (h, scale) in new[] { (hydrationScale, true), (hydration, false) })
        {
            if (h is null)
            {
                continue;
            }

            var seconds = h["secondsToReady"]!.GetValue<double>();
            var seeded = scale && seedScale is not null ? string.Create(Ic, $" (seeded through Apply at {seedScale["sync"]?["deltasPerSecond"]?.GetValue<double>() ?? 0:N0} deltas/s)") : "";
            var text = string.Create(Ic, $"{N(h["registeredImeis"])} registered IMEIs, {N(h["bindings"])} bindings, {N(h["subscribers"])} subscribers: ready in **{seconds:F1} s** (index load {h["indexLoadMs"]} ms, checkpoint at sequence {h["checkpointSequence"]} of {h["sequence"]}); node RSS {h["rssMiB"]} MiB; Redis used_memory {h["redisUsedMemoryMiB"]} MiB") + seeded;
            goals.Add(new Goal(scale ? "Hydration: 10 M registered IMEIs + 2 M bindings + 5 M subscribers ready in <= 10 s" : "Hydration at the run's data-set size (not the goal's 10 M; see the scale run)", scale ? seconds <= 10 : null, text));
        }

        md.AppendLine("| goal | met | measured |");
        md.AppendLine("|---|:---:|---|");
        foreach (var g in goals)
        {
            md.AppendLine(Ic, $"| {g.Name} | {(g.Met is null ? "n/a" : g.Met.Value ? "yes" : "**no**")} | {g.Measured} |");
        }

        md.AppendLine();
        md.AppendLine("| scenario | checks/s | p50 | p90 | p99 | p99.9 | max | errors | wrong answers |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        void Row(string name, RunReport? r)
        {
            if (r is not null)
            {
                md.AppendLine(Ic, $"| {name} | {r.ChecksPerSecond:N0} | {RunReport.Fmt(r.LatencyUs.P50)} | {RunReport.Fmt(r.LatencyUs.P90)} | {RunReport.Fmt(r.LatencyUs.P99)} | {RunReport.Fmt(r.LatencyUs.P999)} | {RunReport.Fmt(r.LatencyUs.Max)} | {r.Errors:N0} | {r.Mismatches:N0} |");
            }
        }

        foreach (var (name, runs) in new[] { ("no-op handler, unary, closed", noop), ("ImeiEir, unary, closed", eir), ("naive design, unary, closed", naive) })
        {
            foreach (var r in runs)
            {
                Row($"{name} ({r.Label})", r);
            }
        }

        Row($"ImeiEir, unary, open at {open?.Rate:N0}/s", open);
        Row($"no-op, unary, open at {noopOpen?.Rate:N0}/s", noopOpen);
        Row($"naive design, CheckBatch x{naiveBatch?.BatchSize}", naiveBatch);
        Row($"ImeiEir, CheckBatch x{batch?.BatchSize}", batch);
        Row($"no-op, CheckBatch x{noopBatch?.BatchSize}", noopBatch);
        Row("ImeiEir, CheckStream", stream);
        Row("no-op, CheckStream", noopStream);
        Row($"ImeiEir, unary, open at {syncIdle?.Rate:N0}/s, idle", syncIdle);
        Row($"ImeiEir, unary, open at {syncDuring?.Rate:N0}/s, during sync", syncDuring);
        Row($"ImeiEir, unary, open at {syncPacedDuring?.Rate:N0}/s, during sync paced at {syncPaced?["result"]?["deltasPerSecond"]?.GetValue<double>() ?? 0:N0} deltas/s", syncPacedDuring);
        md.AppendLine();
        md.AppendLine("Latencies of CheckBatch are per call (a whole batch); of CheckStream per message. Open-model latencies are measured from the intended send time.");

        if (h2Noop is not null || h2Eir is not null)
        {
            md.AppendLine();
            md.AppendLine("h2load cross-check (unary Check, one framed request body, `content-type: application/grpc`, `te: trailers`):");
            md.AppendLine();
            md.AppendLine("| target | requests/s | mean | max | 2xx | failed |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var (name, h) in new[] { ("no-op handler", h2Noop), ("ImeiEir", h2Eir), ("naive design", h2Naive) })
            {
                if (h is not null)
                {
                    md.AppendLine(Ic, $"| {name} | {N(h["requestsPerSecond"])} | {h["meanLatency"]} | {h["maxLatency"]} | {h["succeeded"]} | {h["failed"]} |");
                }
            }

            foreach (var (name, h) in new[] { ("no-op handler", h2OpenNoop), ("ImeiEir", h2OpenEir) })
            {
                if (h is not null)
                {
                    md.AppendLine(Ic, $"| {name}, fixed rate {N(h["rate"])}/s (`--rps`) | {h["rate"]} | p50 {RunReport.Fmt(h["p50Us"]!.GetValue<double>())}, p99 {RunReport.Fmt(h["p99Us"]!.GetValue<double>())}, p99.9 {RunReport.Fmt(h["p999Us"]!.GetValue<double>())} | {RunReport.Fmt(h["maxUs"]!.GetValue<double>())} | {h["requests"]} | |");
                }
            }

            if (h2Noop is not null && h2Eir is not null)
            {
                var r = h2Eir["requestsPerSecond"]!.GetValue<double>() / Math.Max(1, h2Noop["requestsPerSecond"]!.GetValue<double>());
                md.AppendLine();
                md.AppendLine(h2Naive is null
                    ? string.Create(Ic, $"h2load: ImeiEir at {r:P0} of the no-op handler.")
                    : string.Create(Ic, $"h2load: ImeiEir at {r:P0} of the no-op handler, {H2Rate(h2Eir) / Math.Max(1, H2Rate(h2Naive)):F2}x the naive design."));
            }
        }

        var charts = new List<RunReport>();
        foreach (var runs in new[] { noop, eir, naive })
        {
            if (runs.Count > 0)
            {
                charts.Add(runs.OrderBy(r => r.ChecksPerSecond).ElementAt(runs.Count / 2));
            }
        }

        if (open is not null)
        {
            charts.Add(open);
        }

        if (charts.Count > 0)
        {
            Charts.Latency(charts, "Unary Check latency (median rounds; open model at half peak)", Path.Combine(dir, "latency.png"));
            md.AppendLine();
            md.AppendLine("![unary latency](latency.png)");
        }

        var bars = new List<(string, double)>();
        foreach (var (name, runs) in new[] { ("no-op", noop), ("ImeiEir", eir), ("naive", naive) })
        {
            if (runs.Count > 0)
            {
                bars.Add((name + " unary", Med(runs, r => r.ChecksPerSecond)));
            }
        }

        if (batch is not null)
        {
            bars.Add(("ImeiEir batch", batch.ChecksPerSecond));
        }

        if (stream is not null)
        {
            bars.Add(("ImeiEir stream", stream.ChecksPerSecond));
        }

        if (bars.Count > 0)
        {
            Charts.Bars(bars, "Checks per second (closed model, medians)", "checks/s", Path.Combine(dir, "throughput.png"));
            md.AppendLine();
            md.AppendLine("![throughput](throughput.png)");
        }

        var header = new StringBuilder();
        header.AppendLine("# ImeiEir service figures (bench/run.sh)");
        header.AppendLine();
        if (machine is not null)
        {
            header.AppendLine(Ic, $"- date: {machine["date"]}; command: `{machine["command"]}`");
            header.AppendLine(Ic, $"- machine: {machine["cpu"]}; {machine["uname"]}");
            header.AppendLine(Ic, $"- load average before the run: {machine["loadBefore"]}; after: {machine["loadAfter"]} (other work shares this 2-core machine)");
        }

        if (seed is not null)
        {
            var s = seed["summary"]!;
            header.AppendLine(Ic, $"- data set: {N(s["devices"])} devices, {N(s["registeredImeis"])} registered IMEIs, {N(s["bindings"])} bindings, {N(s["stolenImeis"])} stolen, {N(s["subscribers"])} subscribers; seeded at {seed["sync"]?["deltasPerSecond"]?.GetValue<double>() ?? 0:N0} deltas/s");
            if (seed["mix"] is JsonObject mix)
            {
                header.AppendLine("- request mix: " + string.Join(", ", mix["proportions"]!.AsArray().Select(p => string.Create(Ic, $"{p!["category"]} {p["share"]!.GetValue<double>():P0}"))));
            }
        }

        header.AppendLine();
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.md"), header.ToString() + md);
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(new { goals }, RunReport.Json));
        Console.WriteLine(header.ToString() + md);
        return 0;
    }

    private static double H2Rate(JsonNode h) => h["requestsPerSecond"]!.GetValue<double>();

    private static string N(JsonNode? n) => n is null ? "" : n.GetValue<double>().ToString("N0", Ic);

    private sealed record Goal(string Name, bool? Met, string Measured);

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private static JsonNode? Node(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }

    private static RunReport? Run(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        return File.Exists(path) ? JsonSerializer.Deserialize<RunReport>(File.ReadAllText(path), RunReport.Json) : null;
    }

    private static List<RunReport> Rounds(string dir, string prefix)
    {
        var folder = Path.Combine(dir, "rounds");
        return Directory.Exists(folder)
            ? [.. Directory.GetFiles(folder, prefix + "-r*.json").Order(StringComparer.Ordinal).Select(f => JsonSerializer.Deserialize<RunReport>(File.ReadAllText(f), RunReport.Json)!)]
            : [];
    }
}
