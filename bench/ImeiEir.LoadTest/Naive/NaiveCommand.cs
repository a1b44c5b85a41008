using System.Diagnostics;
using System.Globalization;
using System.Net;
using ImeiEir.Core.Identifiers;
using ImeiEir.DataGen;
using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImeiEir.LoadTest.Naive;

/// <summary>The naive design's Redis connection: one multiplexer (pipelining every caller's commands) and the check script's SHA.</summary>
internal sealed class NaiveRedis(IConnectionMultiplexer mux, byte[] scriptSha)
{
    public IDatabase Database { get; } = mux.GetDatabase();

    public byte[] ScriptSha { get; } = scriptSha;

    public static async Task<NaiveRedis> ConnectAsync(string configuration)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        var sha = await server.ScriptLoadAsync(NaiveSchema.CheckScript);
        return new NaiveRedis(mux, sha);
    }
}

/// <summary><c>naive seed</c> and <c>naive serve</c>.</summary>
internal static class NaiveCommand
{
    public const string Help = """
        naive seed: write the national data set into Redis as the naive design's plain keys/sets.
          --redis CONFIG         StackExchange.Redis configuration (e.g. 127.0.0.1:6390)
        """ + "\n" + DataSetArgs.Help + """

        naive serve: the naive-design EquipmentCheck gRPC server (HTTP/2 cleartext, loopback only).
          --redis CONFIG         where `naive seed` wrote the data
          --port N               loopback port to listen on
        """;

    public static Task<int> RunAsync(string sub, Args a, CancellationToken ct) => sub switch
    {
        "seed" => SeedAsync(a, ct),
        "serve" => ServeAsync(a, ct),
        _ => throw new ArgumentException("naive seed | naive serve"),
    };

    private static async Task<int> SeedAsync(Args a, CancellationToken ct)
    {
        var config = a.Required("redis");
        var options = DataSetArgs.Read(a);
        a.EnsureAllRead();
        var data = new NationalDataSet(options);
        var summary = data.Summarize();
        var total = NationalDeltas.Count(summary);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(config);
        var db = mux.GetDatabase();
        var pending = new List<Task>(20_000);
        long written = 0;
        var sw = Stopwatch.StartNew();

        async Task Flush()
        {
            await Task.WhenAll(pending);
            written += pending.Count;
            pending.Clear();
        }

        await using (new ConsoleProgress(() =>
        {
            var f = (double)written / total;
            return $"naive seed {ConsoleProgress.Bar(f)} {f,4:P0} {written:N0}/{total:N0} records  {written / Math.Max(0.001, sw.Elapsed.TotalSeconds):N0}/s  {ConsoleProgress.Eta(sw, f)}";
        }))
        {
            foreach (var s in data.Subscribers.All())
            {
                pending.Add(db.StringSetAsync(NaiveSchema.Subscriber(new Imsi(s.ImsiKey).ToString()), s.Msisdn.ToString(CultureInfo.InvariantCulture)));
                if (pending.Count == pending.Capacity)
                {
                    await Flush();
                }
            }

            foreach (var d in data.Devices())
            {
                pending.Add(db.StringSetAsync(NaiveSchema.Status(new ImeiKey(d.Imei1).ToString()), "R"));
                if (d.IsDual)
                {
                    pending.Add(db.StringSetAsync(NaiveSchema.Status(new ImeiKey(d.Imei2).ToString()), "R"));
                }

                if (pending.Count >= pending.Capacity - 2)
                {
                    await Flush();
                }
            }

            await Flush();
            foreach (var s in data.Stolen())
            {
                pending.Add(db.StringSetAsync(NaiveSchema.Status(new ImeiKey(s.Imei).ToString()), "S"));
                if (pending.Count == pending.Capacity)
                {
                    await Flush();
                }
            }

            foreach (var b in data.Bindings())
            {
                var key = NaiveSchema.Bindings(new ImeiKey(b.Imei).ToString());
                pending.Add(b.ImsiKey == 0
                    ? db.SetAddAsync(key, "m" + b.Msisdn.ToString(CultureInfo.InvariantCulture))
                    : db.SetAddAsync(key, ["m" + b.Msisdn.ToString(CultureInfo.InvariantCulture), "i" + new Imsi(b.ImsiKey).ToString()]));
                if (pending.Count == pending.Capacity)
                {
                    await Flush();
                }
            }

            await Flush();
        }

        Console.WriteLine($"naive seed: {written:N0} Redis writes in {sw.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static async Task<int> ServeAsync(Args a, CancellationToken ct)
    {
        var config = a.Required("redis");
        var port = a.Int("port", 0);
        a.EnsureAllRead();
        var redis = await NaiveRedis.ConnectAsync(config);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The same transport settings as the ImeiEir node, so only the check differs.
            k.AddServerHeader = false;
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddSingleton(redis);
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 << 20);
        await using var app = builder.Build();
        app.MapGrpcService<NaiveEquipmentCheckService>();
        await app.StartAsync(ct);
        Console.WriteLine($"naive EquipmentCheck on http://127.0.0.1:{port} over Redis {config}; Ctrl+C stops");
        // Stops on Ctrl+C and on SIGTERM (the host's lifetime), so a script can end it by its pid.
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
}
