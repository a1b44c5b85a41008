using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using ImeiEir.Contracts.V1;
using ImeiEir.DataGen;
using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Sync;

namespace ImeiEir.LoadTest.Data;

/// <summary>
/// <c>seed</c>: the national data set into a running node through <c>RegistrySync.Apply</c> and/or into a delta
/// file (JSON lines, one <c>Delta</c> per line in protobuf JSON form, for <c>eir import</c>), plus the matching
/// request-mix file for <c>run</c>.
/// </summary>
internal static class SeedCommand
{
    public const string Help = """
        seed: stream a deterministic national data set into a node and/or a delta file; write the request mix.
          --target URL           node to seed through RegistrySync.Apply (omit: files only)
          --key KEY              API key (authorization: Bearer), role sync
        """ + "\n" + DataSetArgs.Help + """

          --batch N              deltas per DeltaBatch (default 5000)
          --window N             batches in flight on the one Apply stream (default 4)
          --delta-file PATH      also write every delta as JSON lines
          --mix-file PATH        write the request mix (JSON lines with expected answers)
          --mix-count N          requests in the mix file (default 200000)
          --mix-seed S           request-mix seed (default 7)
          --mix-weights LIST     e.g. registered=0.7,bound=0.1,grace=0.03,roaming=0.05,stolen=0.02,unknown=0.08,malformed=0.02
          --mix-one-sim          one home SIM per IMEI (default: a random one each check, so popular IMEIs look cloned)
          --json PATH            write the seed report (counts, deltas/s, ack latency)
        """;

    public static async Task<int> RunAsync(Args a, CancellationToken ct)
    {
        var options = DataSetArgs.Read(a);
        var targetUrl = a.Get("target", "");
        var key = a.Get("key", "");
        var batch = a.Int("batch", 5_000);
        var window = a.Int("window", 4);
        var deltaFile = a.Get("delta-file", "");
        var mixFile = a.Get("mix-file", "");
        var mixCount = a.Int("mix-count", 200_000);
        var mixOptions = RequestMixFile.ParseWeights(a.Get("mix-weights", ""), (ulong)a.Long("mix-seed", 7)) with { OneSimPerImei = a.Flag("mix-one-sim") };
        var json = a.Get("json", "");
        a.EnsureAllRead();

        var sw = Stopwatch.StartNew();
        var data = new NationalDataSet(options);
        var summary = data.Summarize();
        var total = NationalDeltas.Count(summary);
        Console.WriteLine($"data set (seed {options.Seed}): {summary.Devices:N0} devices ({summary.DualDevices:N0} dual), {summary.RegisteredImeis:N0} registered IMEIs, " +
            $"{summary.Bindings:N0} bindings ({summary.AmnestyImeis:N0} amnesty IMEIs, {summary.CloneImeis} clone IMEIs), {summary.StolenImeis:N0} stolen, " +
            $"{summary.Subscribers:N0} subscribers, {summary.Tacs:N0} TACs; {total:N0} deltas (generated in {sw.Elapsed.TotalSeconds:F1} s)");

        long[]? perCategory = null;
        IReadOnlyList<double>? proportions = null;
        if (mixFile.Length > 0)
        {
            sw.Restart();
            var mix = new RequestMix(data, mixOptions);
            proportions = mix.Proportions;
            perCategory = RequestMixFile.Write(mixFile, mix, mixCount);
            Console.WriteLine($"request mix: {mixCount:N0} requests -> {mixFile} ({sw.Elapsed.TotalSeconds:F1} s): " +
                string.Join(", ", RequestMixFile.Categories.Select((c, i) => $"{c} {proportions[i]:P0}")));
        }

        if (deltaFile.Length > 0)
        {
            sw.Restart();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(deltaFile))!);
            await using var w = new StreamWriter(deltaFile);
            var formatter = new JsonFormatter(JsonFormatter.Settings.Default);
            long n = 0;
            foreach (var d in NationalDeltas.All(data))
            {
                await w.WriteLineAsync(formatter.Format(d));
                n++;
            }

            Console.WriteLine($"delta file: {n:N0} deltas -> {deltaFile} ({sw.Elapsed.TotalSeconds:F1} s)");
        }

        SyncResult? result = null;
        if (targetUrl.Length > 0)
        {
            using var target = new GrpcTarget(targetUrl, 1, key);
            var prefix = $"seed-{options.Seed}-{options.Devices}-{batch}";
            result = await SyncPipeline.RunAsync(target, NationalDeltas.All(data), total, batch, window, prefix, "seed", ct);
            Console.WriteLine($"seeded {result.Deltas:N0} deltas in {result.Batches:N0} batches ({result.Duplicates:N0} duplicates) in {result.Seconds:F1} s: " +
                $"{result.DeltasPerSecond:N0} deltas/s acked; batch ack p50 {result.AckP50Ms:F1} ms, p99 {result.AckP99Ms:F1} ms");
            foreach (var e in result.Errors)
            {
                Console.Error.WriteLine(e);
            }
        }

        if (json.Length > 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            var report = new
            {
                kind = "seed",
                dataSet = new { options.Seed, options.Devices, options.AmnestyFraction, options.SubscriberRatio, options.StolenFraction },
                summary,
                totalDeltas = total,
                batchSize = batch,
                window,
                mix = proportions is null ? null : new
                {
                    count = mixCount,
                    proportions = RequestMixFile.Categories.Select((c, i) => new { category = c, share = proportions[i], count = perCategory![i] }),
                },
                sync = result,
            };
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, Report.RunReport.Json), ct);
        }

        return result is { Errors.Count: > 0 } || (result is not null && result.Deltas < total) ? 1 : 0;
    }
}
