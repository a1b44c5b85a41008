using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ImeiEir.Core.Index;
using ImeiEir.DataGen;
using ImeiEir.Storage;
using StackExchange.Redis;

// Usage: dotnet run -c Release --project bench/ImeiEir.Hydration -- [registered=10000000] [bindings=2000000] [subscribers=5000000]
// Writes the data set into a private redis-server as a checkpoint (exactly what a cluster holds after its first
// checkpoint), then starts the real node (src/ImeiEir.Server, Release build) against it and times /readyz.
var registeredCount = Arg(0, 10_000_000);
var bindingCount = Arg(1, 2_000_000);
var subscriberCount = Arg(2, 5_000_000);
var root = FindRoot();
var serverDll = Path.Combine(root, "src/ImeiEir.Server/bin/Release/net10.0/ImeiEir.Server.dll");
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"build the server first: dotnet build -c Release src/ImeiEir.Server ({serverDll} missing)");
    return 2;
}

var watch = Stopwatch.StartNew();
var data = new NationalDataSet(DataSetOptions.ForRegisteredImeis(registeredCount));
var registered = data.RegisteredKeysSorted();
Console.WriteLine($"generated {registered.Length:N0} registered IMEIs in {watch.Elapsed.TotalSeconds:F1} s");

// Amnesty bindings: IMEIs outside the registry (home-made, clones), one to a few numbers each, some with IMSI.
var rng = new Random(996);
var bindings = new List<(long Imei, BindingRecord Record)>(bindingCount);
while (bindings.Count < bindingCount)
{
    var imei = (long)(rng.NextDouble() * 1e14);
    var records = rng.Next(10) == 0 ? 2 : 1;
    for (var r = 0; r < records && bindings.Count < bindingCount; r++)
    {
        var msisdn = 996_000_000_000L + rng.Next(200_000_000, 999_999_999);
        var imsi = rng.Next(3) == 0 ? ImeiEir.Core.Identifiers.Imsi.FromDigits(437_01_0000000000L + rng.NextInt64(10_000_000_000L), 15).Key : 0;
        bindings.Add((imei, new BindingRecord(msisdn, imsi)));
    }
}

// Subscribers: IMSIs of the three home operators, allocated in blocks, each mapped to a number.
var operators = new[] { 437_01L, 437_05L, 437_09L };
var subscribers = new List<(long, long)>(subscriberCount);
for (var i = 0; i < subscriberCount; i++)
{
    var op = operators[i % 3];
    var msin = (i / 3 * 7L) + rng.Next(7);
    subscribers.Add((ImeiEir.Core.Identifiers.Imsi.FromDigits((op * 10_000_000_000L) + msin, 15).Key, 996_000_000_000L + 700_000_000L + i));
}

var snapshot = EirSnapshot.Build(registered, registered.Where((_, i) => i % 997 == 0), bindings, subscribers);
Console.WriteLine($"snapshot: {snapshot.Registered.Count:N0} registered, {snapshot.Bindings.RecordCount:N0} bindings, {snapshot.Subscribers.Count:N0} subscribers, {snapshot.MemoryBytes / 1e6:F0} MB in memory ({watch.Elapsed.TotalSeconds:F1} s)");

var redisPort = FreePort();
var redisDir = Directory.CreateTempSubdirectory("imeieir-hydration-").FullName;
// The shipped configuration (deploy/redis/redis.conf: encodings, durability), on a private port and folder.
using var redis = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", $"{Path.Combine(root, "deploy/redis/redis.conf")} --port {redisPort} --dir {redisDir} --save \"\" --daemonize no") { RedirectStandardOutput = true })!;
Process? node = null;
try
{
    await WaitPortAsync(redisPort);
    var config = $"127.0.0.1:{redisPort}";
    await using var store = new RedisStore(new RedisOptions { Configuration = config });
    await store.ConnectAsync();
    await store.Log.InitializeEpochAsync();
    using var mux = await ConnectionMultiplexer.ConnectAsync(config + ",allowAdmin=true");
    var before = await UsedMemoryAsync(mux);

    // Device records go through the real commit path (the registry's RegisterDevice), 10 000 devices a batch.
    var epoch = (await store.Log.GetHeadAsync()).Epoch!;
    long sequence = 0;
    long devices = 0;
    foreach (var chunk in data.Devices().Chunk(10_000))
    {
        var plan = new ImeiEir.Core.Registry.BatchPlan();
        foreach (var d in chunk)
        {
            plan.DevicesAdded.Add(new ImeiEir.Core.Registry.DeviceRecord(
                "KG-" + d.Id.ToString("D9", CultureInfo.InvariantCulture), d.Imei2 >= 0 ? [d.Imei1, d.Imei2] : [d.Imei1]));
        }

        var result = await store.Commits.CommitAsync(sequence, epoch, $"devices-{sequence}", "bench", new ImeiEir.Core.Registry.ChangeOrigin("hydration-bench", "", ImeiEir.Core.Registry.ChangeSource.Sync, new uint[ImeiEir.Core.Registry.ChangeOrigin.Kinds]), plan, DateTime.UtcNow.Ticks);
        sequence = result.Sequence;
        devices += chunk.Length;
    }

    var afterDevices = await UsedMemoryAsync(mux);
    await store.Checkpoints.WriteCheckpointAsync(snapshot, sequence, "hydration-bench");
    var after = await UsedMemoryAsync(mux);
    var records = snapshot.Registered.Count + snapshot.Bindings.RecordCount + snapshot.Subscribers.Count;
    Console.WriteLine($"Redis devices: {(afterDevices - before) / 1e6:F1} MB for {devices:N0} devices = {(double)(afterDevices - before) / devices:F1} bytes/device (device and owner hashes, batch ids, log)");
    Console.WriteLine($"Redis checkpoint: {(after - afterDevices) / 1e6:F1} MB for {records:N0} records = {(double)(after - afterDevices) / records:F2} bytes/record");

    var adminPort = FreePort();
    var psi = new ProcessStartInfo("dotnet", serverDll) { RedirectStandardOutput = true, RedirectStandardError = true };
    psi.Environment["Redis__Configuration"] = config;
    psi.Environment["Auth__Enabled"] = "false";
    psi.Environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{FreePort()}";
    psi.Environment["Kestrel__Endpoints__Admin__Url"] = $"http://127.0.0.1:{adminPort}";
    psi.Environment["Logging__LogLevel__Default"] = "Warning";
    var started = Stopwatch.StartNew();
    node = Process.Start(psi)!;
    node.OutputDataReceived += (_, _) => { };
    node.ErrorDataReceived += (_, _) => { };
    node.BeginOutputReadLine();
    node.BeginErrorReadLine();
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    while (started.Elapsed < TimeSpan.FromMinutes(5))
    {
        try
        {
            if ((await http.GetAsync($"http://127.0.0.1:{adminPort}/readyz")).IsSuccessStatusCode)
            {
                break;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        await Task.Delay(20);
    }

    var ready = started.Elapsed;
    GC.Collect();
    node.Refresh();
    var rss = File.ReadAllLines($"/proc/{node.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    var rssKb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    Console.WriteLine();
    Console.WriteLine("| data set | time to ready (process start → /readyz 200) | node RSS | Redis memory, all | Redis per record (checkpoint) | Redis per device (records) |");
    Console.WriteLine("|---|---|---|---|---|---|");
    Console.WriteLine($"| {devices / 1e6:F1} M devices, {snapshot.Registered.Count / 1e6:F1} M registered IMEIs, {snapshot.Bindings.RecordCount / 1e6:F1} M bindings, {snapshot.Subscribers.Count / 1e6:F1} M subscribers | {ready.TotalSeconds:F2} s | {rssKb / 1024.0:F0} MiB | {(after - before) / 1048576.0:F0} MiB | {(double)(after - afterDevices) / records:F2} B | {(double)(afterDevices - before) / devices:F0} B |");
    return 0;
}
finally
{
    if (node is { HasExited: false })
    {
        node.Kill(true);
    }

    redis.Kill(true);
    Directory.Delete(redisDir, true);
}

int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;

static async Task<long> UsedMemoryAsync(ConnectionMultiplexer mux)
{
    var info = (string?)await mux.GetDatabase().ExecuteAsync("INFO", "memory") ?? "";
    var line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
    return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

static async Task WaitPortAsync(int port)
{
    for (var i = 0; i < 200; i++)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException)
        {
            await Task.Delay(25);
        }
    }
}

static string FindRoot()
{
    var dir = AppContext.BaseDirectory;
    while (dir is not null && !File.Exists(Path.Combine(dir, "ImeiEir.sln")))
    {
        dir = Path.GetDirectoryName(dir);
    }

    return dir ?? Directory.GetCurrentDirectory();
}
