using System.Diagnostics;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using StackExchange.Redis;

namespace ImeiEir.FaultLoad;

/// <summary><c>converge</c>: polls until every node serves the sequence Redis holds; prints how long that took.</summary>
internal static class ConvergeCommand
{
    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var targets = o.List("targets");
        var key = o.Get("key", "");
        var redis = o.Required("redis");
        var prefix = o.Get("prefix", "eir");
        var timeout = o.Duration("timeout", TimeSpan.FromSeconds(60));
        o.EnsureAllRead();

        var clock = Stopwatch.StartNew();
        var channels = targets.Select(FaultData.Channel).ToArray();
        var headers = FaultData.Auth(key);
        string last = "";
        try
        {
            while (clock.Elapsed < timeout && !ct.IsCancellationRequested)
            {
                try
                {
                    await using var mux = await ConnectionMultiplexer.ConnectAsync(redis + ",connectTimeout=2000");
                    var want = (long)await mux.GetDatabase().StringGetAsync(prefix + ":seq");
                    var have = new List<long>();
                    foreach (var c in channels)
                    {
                        var state = await new RegistrySync.RegistrySyncClient(c).GetSyncStateAsync(new GetSyncStateRequest(), headers, DateTime.UtcNow.AddSeconds(2), ct);
                        have.Add((long)state.Sequence);
                    }

                    last = $"Redis at {want}, nodes at {string.Join(", ", have)}";
                    if (have.All(h => h == want))
                    {
                        Console.WriteLine($"converge: {clock.Elapsed.TotalSeconds:F1} s ({last})");
                        return 0;
                    }
                }
                catch (Exception ex) when (ex is RpcException or RedisException)
                {
                    last = ex.Message;
                }

                await Task.Delay(100, ct);
            }
        }
        finally
        {
            foreach (var c in channels)
            {
                c.Dispose();
            }
        }

        Console.WriteLine($"converge: not within {timeout.TotalSeconds:F0} s ({last})");
        return 1;
    }
}
