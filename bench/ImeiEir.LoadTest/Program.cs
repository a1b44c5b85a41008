using ImeiEir.LoadTest.Cli;
using ImeiEir.LoadTest.Data;
using ImeiEir.LoadTest.Events;
using ImeiEir.LoadTest.Load;
using ImeiEir.LoadTest.Naive;
using ImeiEir.LoadTest.Report;
using ImeiEir.LoadTest.Security;
using ImeiEir.LoadTest.Sync;

// ImeiEir load-test tool: one subcommand per job; `--help` after a subcommand lists its options.
const string Usage = """
    ImeiEir.LoadTest <command> [options]
      seed          national data set -> RegistrySync.Apply and/or a delta file; writes the request mix
      run           closed/open-model load over Check, CheckBatch, CheckStream or N5g-eir, with a report
      naive seed    the same data set as plain Redis keys/sets (the naive design's schema)
      naive serve   the naive-design gRPC server (one Redis round trip per check)
      sync          synthetic churn deltas through Apply (sync throughput while checks run)
      propagation   ack on node A -> same answer on node B, p50/p99 over many changes
      event-lag     check answered -> event received by an EventFeed subscriber, p50/p99
      summary       aggregate the reports of a bench/run.sh run into summary.md/json and charts
      grpc-frame    write one CheckRequest as a gRPC-framed body (5-byte prefix) for h2load
      token         print an ES256 NRF access token (JWT) for N5g-eir load
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
        "event-lag" => EventLagCommand.Help,
        "summary" => SummaryCommand.Help,
        "token" => TokenCommand.Help,
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
        "event-lag" => await EventLagCommand.RunAsync(a, cts.Token),
        "summary" => await SummaryCommand.RunAsync(a),
        "token" => TokenCommand.Run(a),
        "free-port" => FreePort(),
        "grpc-frame" => GrpcFrame(a),
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

// h2load sends the same body on every request: a gRPC message is a 0 (uncompressed) flag byte, a 4-byte
// big-endian length, then the serialized message.
static int GrpcFrame(Args a)
{
    var mix = RequestMixFile.Read(a.Required("mix"));
    var category = a.Get("category", "Registered");
    var output = a.Required("out");
    a.EnsureAllRead();
    var index = Array.FindIndex(mix.Expected, e => RequestMixFile.Categories[e.Category] == category);
    var request = mix.Requests[Math.Max(0, index)];
    var body = Google.Protobuf.MessageExtensions.ToByteArray(request);
    var framed = new byte[5 + body.Length];
    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)body.Length);
    body.CopyTo(framed, 5);
    File.WriteAllBytes(output, framed);
    Console.WriteLine($"{output}: {framed.Length} bytes (imei '{request.Imei}', msisdn '{request.Msisdn}', imsi '{request.Imsi}')");
    return 0;
}
