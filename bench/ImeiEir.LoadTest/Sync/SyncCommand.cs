using System.Globalization;
using System.Text.Json;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Sync;

/// <summary>
/// <c>sync</c>: synthetic registry churn through <c>Apply</c>, for the sync-throughput figure while checks run.
/// The churn never touches what the request mix asks about: new devices under reporting body 97 (the data set
/// uses 35, 86, 01, 49; the mix's unknown IMEIs use 98), new IMSIs of MNC 03, numbers in the 996-3xx block the
/// data set never assigns, bindings of IMEIs under body 95. So checks running meanwhile keep their expected answers.
/// </summary>
internal static class SyncCommand
{
    public const string Help = """
        sync: push synthetic churn deltas through RegistrySync.Apply and report deltas/s acked.
          --target URL           node
          --key KEY              API key, role sync
          --deltas N             how many (default 1000000): 50 % RegisterDevice, 30 % UpsertSubscriber, 20 % Bind
          --batch N              deltas per batch (default 5000)
          --window N             batches in flight (default 4)
          --for D                stop sending after this long (e.g. 25s), then wait for the acks (default: send all)
          --rate N               send at most N deltas/s (paced by batch; default: as fast as acks allow)
          --salt N               makes the generated ids unique per run (default: from the clock)
          --json PATH            write the result
        """;

    public static async Task<int> RunAsync(Args a, CancellationToken ct)
    {
        var url = a.Required("target");
        var key = a.Get("key", "");
        var count = a.Long("deltas", 1_000_000);
        var batch = a.Int("batch", 5_000);
        var window = a.Int("window", 4);
        var forTime = a.Duration("for", TimeSpan.Zero);
        var rate = a.Long("rate", 0);
        var salt = a.Long("salt", DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000);
        var json = a.Get("json", "");
        a.EnsureAllRead();
        using var target = new GrpcTarget(url, 1, key);
        var deltas = SyncChurn.Deltas(salt, 0, count);
        if (forTime > TimeSpan.Zero)
        {
            var until = DateTime.UtcNow + forTime;
            deltas = deltas.TakeWhile((_, i) => i % batch != 0 || DateTime.UtcNow < until);
        }

        var result = await SyncPipeline.RunAsync(target, deltas, count, batch, window, $"churn-{salt}-{batch}", "sync", ct, rate);
        Console.WriteLine($"sync: {result.Deltas:N0} deltas in {result.Seconds:F1} s = {result.DeltasPerSecond:N0} deltas/s acked; batch ack p50 {result.AckP50Ms:F1} ms, p99 {result.AckP99Ms:F1} ms");
        foreach (var e in result.Errors)
        {
            Console.Error.WriteLine(e);
        }

        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { kind = "sync", batchSize = batch, window, rateLimit = rate, result }, Report.RunReport.Json), ct);
        }

        return result.Errors.Count > 0 ? 1 : 0;
    }
}
