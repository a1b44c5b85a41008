using System.Text.Json;
using StackExchange.Redis;

namespace ImeiEir.FaultLoad;

/// <summary>
/// <c>verify</c>: reads the Redis log (every entry's batch id) and the acks the sync clients wrote: an acked batch
/// missing from the log is lost, one there twice was applied twice. Also: every log sequence follows the one
/// before (no gap, no repeat).
/// </summary>
internal static class VerifyCommand
{
    public static async Task<int> RunAsync(Options o)
    {
        var redis = o.Required("redis");
        var prefix = o.Get("prefix", "eir");
        var ackFiles = o.List("acks");
        var json = o.Get("json", "");
        o.EnsureAllRead();

        var acked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in ackFiles.Where(File.Exists))
        {
            foreach (var line in await File.ReadAllLinesAsync(file))
            {
                using var doc = JsonDocument.Parse(line);
                acked.Add(doc.RootElement.GetProperty("id").GetString()!);
            }
        }

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis + ",connectTimeout=5000,allowAdmin=false");
        var db = mux.GetDatabase();
        var inLog = new Dictionary<string, int>(StringComparer.Ordinal);
        long previous = -1, gaps = 0;
        RedisValue from = "-";
        while (true)
        {
            var entries = await db.StreamRangeAsync(prefix + ":log", from, "+", 5000);
            foreach (var e in entries)
            {
                var seq = long.Parse(e.Id.ToString().Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
                gaps += previous >= 0 && seq != previous + 1 ? 1 : 0;
                previous = seq;
                var id = e["b"].ToString();
                inLog[id] = inLog.GetValueOrDefault(id) + 1;
            }

            if (entries.Length < 5000)
            {
                break;
            }

            from = "(" + entries[^1].Id;
        }

        var lost = acked.Count(id => !inLog.ContainsKey(id));
        var twice = acked.Count(id => inLog.GetValueOrDefault(id) > 1);
        Console.WriteLine($"verify: {acked.Count} acked batches; {lost} lost, {twice} applied more than once; log of {inLog.Values.Sum()} entries, {gaps} sequence gaps");
        if (json.Length > 0)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { acked = acked.Count, lost, twice, logEntries = inLog.Values.Sum(), gaps }));
        }

        return lost == 0 && twice == 0 && gaps == 0 ? 0 : 1;
    }
}
