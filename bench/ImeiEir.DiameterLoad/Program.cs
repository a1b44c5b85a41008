using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using HdrHistogram;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter;
using ImeiEir.DiameterLoad;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

if (options.Serve.Length > 0)
{
    using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Information));
    var (served, _) = await SelfHost.StartAsync(options, options.Serve, loggerFactory.CreateLogger<DiameterServer>());
    Console.WriteLine($"Serving S13 on {served.LocalEndPoint} (allowed: {options.OriginHost} / realm {options.OriginRealm}); Ctrl+C stops.");
    var done = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        done.TrySetResult();
    };

    // Server-only figures: this process holds no client, so its allocations are the server's.
    long answered = 0;
    using var listener = new System.Diagnostics.Metrics.MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Name == "imeieir.diameter.answers")
        {
            l.EnableMeasurementEvents(instrument);
        }
    };
    listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref answered, value));
    listener.Start();
    var lastAnswers = 0L;
    var lastAllocated = GC.GetTotalAllocatedBytes(precise: true);
    while (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(5))) != done.Task)
    {
        var delta = Interlocked.Read(ref answered) - lastAnswers;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - lastAllocated;
        lastAnswers += delta;
        lastAllocated += allocated;
        if (delta > 0)
        {
            Console.WriteLine($"server      {delta / 5.0:N0} answers/s, {allocated / (double)delta:N1} B allocated per answer, {served.ConnectionCount} connections");
        }
    }

    await served.StopAsync(CancellationToken.None);
    return 0;
}

DiameterServer? server = null;
byte[][] imeis;
IPEndPoint target;
string targetText;
if (options.Target.Length == 0)
{
    (server, imeis) = await SelfHost.StartAsync(options, "127.0.0.1:0", NullLogger<DiameterServer>.Instance);
    target = server.LocalEndPoint!;
    targetText = $"{target} (in-process server, {options.Registered:N0} registered IMEIs, {options.RegisteredShare:P0} of requests registered)";
}
else
{
    target = DiameterOptions.ParseListen(options.Target);
    imeis = options.ImeiFile.Length > 0 ? SelfHost.ReadImeis(options.ImeiFile) : SelfHost.RandomImeis(100_000);
    targetText = target.ToString();
}

if (options.ImeiFile.Length > 0 && options.Target.Length == 0)
{
    imeis = SelfHost.ReadImeis(options.ImeiFile);
}

Console.WriteLine($"target      {targetText}");
Console.WriteLine($"load        {options.Connections} connections x window {options.Window}, {options.WarmupSeconds:0.#} s warm-up + {options.DurationSeconds:0.#} s, {imeis.Length:N0} distinct IMEIs");

var connections = new List<LoadConnection>();
for (var i = 0; i < options.Connections; i++)
{
    connections.Add(await LoadConnection.OpenAsync(target, options, imeis, i));
}

var start = Stopwatch.GetTimestamp();
var measureFrom = start + (long)(options.WarmupSeconds * Stopwatch.Frequency);
var measureUntil = measureFrom + (long)(options.DurationSeconds * Stopwatch.Frequency);
foreach (var c in connections)
{
    c.MeasureFrom = measureFrom;
    c.MeasureUntil = measureUntil;
}

using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.WarmupSeconds + options.DurationSeconds));
var runs = connections.Select(c => c.RunAsync(stop.Token)).ToArray();

// Allocation over the measured period (the whole process: client and, when in-process, server).
await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var gcBefore = GC.CollectionCount(0);
await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds));
var allocatedDuring = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
var gcDuring = GC.CollectionCount(0) - gcBefore;
await Task.WhenAll(runs);

var histogram = new LongHistogram(Stopwatch.Frequency * 60, 3);
var totals = new LoadCounters();
foreach (var c in connections)
{
    histogram.Add(c.Histogram);
    totals.Answers += c.Counters.Answers;
    totals.Whitelisted += c.Counters.Whitelisted;
    totals.Blacklisted += c.Counters.Blacklisted;
    totals.Greylisted += c.Counters.Greylisted;
    totals.OtherResults += c.Counters.OtherResults;
    await c.DisposeAsync();
}

if (server is not null)
{
    await server.StopAsync(CancellationToken.None);
}

static string Micros(long ticks) => (ticks * 1_000_000.0 / Stopwatch.Frequency).ToString("N0", CultureInfo.InvariantCulture);

var answers = Math.Max(1, totals.Answers);
Console.WriteLine($"answers     {totals.Answers:N0} in {options.DurationSeconds:0.#} s = {totals.Answers / options.DurationSeconds:N0} MICR/s");
Console.WriteLine($"status      whitelisted {totals.Whitelisted:N0}, blacklisted {totals.Blacklisted:N0}, greylisted {totals.Greylisted:N0}, other results {totals.OtherResults:N0}");
Console.WriteLine($"latency µs  p50 {Micros(histogram.GetValueAtPercentile(50))}  p90 {Micros(histogram.GetValueAtPercentile(90))}  p99 {Micros(histogram.GetValueAtPercentile(99))}  p99.9 {Micros(histogram.GetValueAtPercentile(99.9))}  max {Micros(histogram.GetMaxValue())}");
Console.WriteLine($"allocated   {allocatedDuring / answers:N0} B per answer, gen0 GCs {gcDuring} (whole process{(server is null ? "" : ", client and server")})");
return totals.OtherResults == 0 ? 0 : 1;

/// <summary>The generated index and the server over it.</summary>
internal static class SelfHost
{
    public static async Task<(DiameterServer Server, byte[][] RequestImeis)> StartAsync(LoadOptions options, string listen, ILogger<DiameterServer> logger)
    {
        var random = new Random(42);
        var registered = new long[options.Registered];
        for (var i = 0; i < registered.Length; i++)
        {
            registered[i] = RandomImei(random);
        }

        var index = new EirIndex();
        index.Load(EirSnapshot.Build(registered, [], [], []), 1);
        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System);

        var requests = new byte[Math.Min(100_000, Math.Max(1, options.Registered))][];
        for (var i = 0; i < requests.Length; i++)
        {
            var key = random.NextDouble() < options.RegisteredShare && registered.Length > 0 ? registered[random.Next(registered.Length)] : RandomImei(random);
            requests[i] = Encoding.ASCII.GetBytes(key.ToString("D14", CultureInfo.InvariantCulture));
        }

        var server = new DiameterServer(
            Microsoft.Extensions.Options.Options.Create(new DiameterOptions
            {
                Listen = listen,
                OriginHost = "eir.load.test",
                OriginRealm = "load.test",
                AllowedPeers = [options.OriginHost],
                AllowedRealms = [options.OriginRealm],
            }),
            checker,
            logger);
        await server.StartAsync(CancellationToken.None);
        return (server, requests);
    }

    public static byte[][] RandomImeis(int count)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, count).Select(_ => Encoding.ASCII.GetBytes(RandomImei(random).ToString("D14", CultureInfo.InvariantCulture)))];
    }

    public static byte[][] ReadImeis(string path)
    {
        var list = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).Select(Encoding.ASCII.GetBytes).ToArray();
        return list.Length > 0 ? list : throw new ArgumentException($"{path} holds no IMEI.");
    }

    /// <summary>A 14-digit TAC+SNR under a plausible TAC range (35xxxxxx).</summary>
    private static long RandomImei(Random random) => (35_000_000L + random.Next(1_000_000)) * 1_000_000L + random.Next(1_000_000);
}
