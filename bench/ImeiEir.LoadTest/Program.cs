using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Data;
using ImeiEir.LoadTest.Load;
using ImeiEir.LoadTest.Naive;
using ImeiEir.LoadTest.Report;
using ImeiEir.LoadTest.Sync;

// ImeiEir load-test tool: one subcommand per job; `--help` after a subcommand lists its options.
const string Usage = """
    ImeiEir.LoadTest <command> [options]
      seed          national data set -> RegistrySync.Apply and/or a delta file; writes the request mix
      run           closed/open-model load over Check, CheckBatch or CheckStream, with a report
      naive seed    the same data set as plain Redis keys/sets (the naive design's schema)
      naive serve   the naive-design gRPC server (one Redis round trip per check)
      sync          synthetic churn deltas through Apply (sync throughput while checks run)
      propagation   ack on node A -> same answer on node B, p50/p99 over many changes
      summary       aggregate the reports of a bench/run.sh run into summary.md/json and charts
      free-port     print a free loopback TCP port
    """;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

var command = args[0];
var sub = command == "naive" && args.Length > 1 ? args[1] : "";
var rest = args.Skip(sub.Length > 0 ? 2 : 1).ToArray();
if (rest.Contains("--help") || rest.Contains("-h"))
{
    Console.WriteLine(command switch
    {
        "seed" => SeedCommand.Help,
        "run" => LoadSettings.Help,
        "naive" => NaiveCommand.Help,
        "sync" => SyncCommand.Help,
        "propagation" => PropagationCommand.Help,
        "summary" => SummaryCommand.Help,
        _ => Usage,
    });
    return 0;
}

try
{
    var a = new Args(rest);
    return command switch
    {
        "seed" => await SeedCommand.RunAsync(a, cts.Token),
        "run" => await RunCommand.RunAsync(a, cts.Token),
        "naive" => await NaiveCommand.RunAsync(sub, a, cts.Token),
        "sync" => await SyncCommand.RunAsync(a, cts.Token),
        "propagation" => await PropagationCommand.RunAsync(a, cts.Token),
        "summary" => await SummaryCommand.RunAsync(a),
        "free-port" => FreePort(),
        _ => throw new ArgumentException($"unknown command '{command}'\n{Usage}"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}

static int FreePort()
{
    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    Console.WriteLine(((System.Net.IPEndPoint)l.LocalEndpoint).Port);
    return 0;
}
