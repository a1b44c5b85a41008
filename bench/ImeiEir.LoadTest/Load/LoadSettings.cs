using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Load;

internal enum Api
{
    Check,
    Batch,
    Stream,

    /// <summary>N5g-eir GetEquipmentStatus (HTTP/2 GET, TS 29.511) built from the same mix.</summary>
    N5g,
}

internal enum Client
{
    /// <summary>Grpc.Net.Client (HttpClient): what a .NET caller uses; costs about twice the server's CPU per call.</summary>
    Grpc,

    /// <summary>Pre-encoded HTTP/2 frames over a socket (unary Check only): costs a fraction of the server's CPU.</summary>
    Raw,
}

internal enum Model
{
    Closed,
    Open,
}

/// <summary>The knobs of one <c>run</c>.</summary>
internal sealed record LoadSettings
{
    public const string Help = """
        run: drive EquipmentCheck and report percentiles, throughput, errors and wrong answers.
          --target URL           node (e.g. http://127.0.0.1:5080)
          --key KEY              authorization: Bearer KEY on every call: an API key (role check), or with
                                 --api n5g an NRF access token (a JWT) as well
          --mix PATH             request-mix file written by seed (expected answers)
          --mix-limit N          use the first N requests of the mix (default all)
          --api check|batch|stream|n5g                 (default check; n5g: N5g-eir GET, closed model only)
          --client grpc|raw      grpc: Grpc.Net.Client (default); raw: pre-encoded HTTP/2 frames on sockets, unary
                                 Check over http:// only, closed or open model; a fraction of the gRPC client's CPU,
                                 so the node and not the client is the bottleneck (overload runs)
          --model closed|open    closed: N callers back to back (peak); open: fixed arrival rate (default closed)
          --concurrency N        closed: callers (check/batch) or streams (stream) (default 64; stream 4)
          --rate R               open: checks per second (batch: R / batch-size calls per second)
          --channels N           gRPC channels = HTTP/2 connections (default 1)
          --batch-size N         items per CheckBatch (default 1000)
          --depth N              stream: messages in flight per stream (default 256)
          --max-in-flight N      open: calls in flight before the pacer waits (charged to latency; default 20000)
          --callers N            open (check/batch): async callers taking due requests (default 512); when all are
                                 busy, due requests wait, and the wait is charged to latency
          --tick D               open: shortest pacer sleep; requests due within one tick go out together,
                                 each timed from its own due time (default 0: one by one; e.g. 200us)
          --warmup D             e.g. 5s (default 5s)
          --duration D           measured time, e.g. 20s (default 20s)
          --no-verify            do not compare answers (transport baseline: the no-op handler answers nothing)
          --allow-shed           refusals for load (RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) are expected, not errors
                                 (an overload run); they are counted apart either way
          --deadline D           a gRPC deadline on every call, e.g. 200ms (default none)
          --label NAME           name in reports (default api-model)
          --out PATH             write PATH.json, PATH.md and PATH.png
          --no-png               skip the chart
          --server-pid PID       also report the CPU that process (the node, on this machine) used in the window,
                                 per check, beside this tool's own and the whole machine's (Linux /proc)
        """ + "\n" + ClientTls.Help;

    public required string Target { get; init; }

    public string Key { get; init; } = "";

    public ClientTls Tls { get; init; } = ClientTls.None;

    public int ServerPid { get; init; }

    public required string MixPath { get; init; }

    public int MixLimit { get; init; } = int.MaxValue;

    public Api Api { get; init; }

    public Client Client { get; init; }

    public Model Model { get; init; }

    public int Concurrency { get; init; } = 64;

    public double Rate { get; init; }

    public int Channels { get; init; } = 1;

    public int BatchSize { get; init; } = 1000;

    public int Depth { get; init; } = 256;

    public int MaxInFlight { get; init; } = 20_000;

    public TimeSpan Tick { get; init; } = TimeSpan.Zero;

    public int Callers { get; init; } = 512;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public bool Verify { get; init; } = true;

    public bool AllowShed { get; init; }

    /// <summary>A deadline on every call (<see cref="TimeSpan.Zero"/>: none).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.Zero;

    public string Label { get; init; } = "";

    public string Out { get; init; } = "";

    public bool Png { get; init; } = true;

    public static LoadSettings Read(Args a)
    {
        var api = Enum.Parse<Api>(a.Get("api", "check"), ignoreCase: true);
        var model = Enum.Parse<Model>(a.Get("model", "closed"), ignoreCase: true);
        var s = new LoadSettings
        {
            Target = a.Required("target"),
            Key = a.Get("key", ""),
            Tls = ClientTls.Read(a),
            ServerPid = a.Int("server-pid", 0),
            MixPath = a.Required("mix"),
            MixLimit = a.Int("mix-limit", int.MaxValue),
            Api = api,
            Client = Enum.Parse<Client>(a.Get("client", "grpc"), ignoreCase: true),
            Model = model,
            Concurrency = a.Int("concurrency", api == Api.Stream ? 4 : 64),
            Rate = a.Double("rate", 0),
            Channels = a.Int("channels", 1),
            BatchSize = a.Int("batch-size", 1000),
            Depth = a.Int("depth", 256),
            MaxInFlight = a.Int("max-in-flight", 20_000),
            Tick = a.Duration("tick", TimeSpan.Zero),
            Callers = a.Int("callers", 512),
            Warmup = a.Duration("warmup", TimeSpan.FromSeconds(5)),
            Duration = a.Duration("duration", TimeSpan.FromSeconds(20)),
            Verify = !a.Flag("no-verify"),
            AllowShed = a.Flag("allow-shed"),
            Deadline = a.Duration("deadline", TimeSpan.Zero),
            Out = a.Get("out", ""),
            Png = !a.Flag("no-png"),
        };
        s = s with { Label = a.Get("label", $"{api}-{model}".ToLowerInvariant()) };
        if (model == Model.Open && s.Rate <= 0)
        {
            throw new ArgumentException("--model open needs --rate (checks per second)");
        }

        if (api == Api.N5g && model != Model.Closed)
        {
            throw new ArgumentException("--api n5g runs the closed model only");
        }

        if (s.Client == Client.Raw && (api != Api.Check || s.Deadline > TimeSpan.Zero))
        {
            throw new ArgumentException("--client raw drives unary Check only, without --deadline");
        }

        if (s.BatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException("--batch-size must be 1..10000 (the contract's limit)");
        }

        return s;
    }
}
