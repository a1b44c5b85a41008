using Grpc.Core;
using Grpc.Net.Client;
using ImeiEir.Cli;
using ImeiEir.Contracts.V1;

// eir — the operator's tool. Server and key from --server/--key or EIR_SERVER/EIR_KEY.
var options = CliArgs.Parse(args);
if (options.Command is null or "help" or "--help" or "-h")
{
    Console.WriteLine("""
        eir import <file.csv|file.jsonl> [--batch-size 1000]   send a delta file through RegistrySync.Apply (resumable)
        eir check <imei> [--msisdn N] [--imsi I]                 ask for a verdict
        eir status                                               the node's sync state (sequence, counts)
        eir device <imei>                                        device status (registered, stolen, bound numbers)
        eir switch --from <msisdn> --to <msisdn> [--imei I]      NUMBER SWITCH
        options: --server http://127.0.0.1:5080 (EIR_SERVER)  --key <api key> (EIR_KEY)
        """);
    return options.Command is null ? 2 : 0;
}

using var channel = GrpcChannel.ForAddress(options.Server);
var headers = new Metadata();
if (!string.IsNullOrEmpty(options.Key))
{
    headers.Add("authorization", "Bearer " + options.Key);
}

try
{
    switch (options.Command)
    {
        case "import":
            return await new Importer(new RegistrySync.RegistrySyncClient(channel), headers, Console.Out)
                .RunAsync(options.Positional(0, "file"), options.Int("batch-size", 1000), CancellationToken.None);
        case "check":
            var r = await new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(
                new CheckRequest { Imei = options.Positional(0, "imei"), Msisdn = options.Get("msisdn") ?? "", Imsi = options.Get("imsi") ?? "" }, headers);
            Console.WriteLine($"{r.Verdict} {r.EquipmentStatus} {r.Reason}{(r.GraceExpiresAt is null ? "" : " grace until " + r.GraceExpiresAt.ToDateTimeOffset().ToString("u"))} (sequence {r.Sequence})");
            return r.Verdict == Verdict.Allow ? 0 : 1;
        case "status":
            var s = await new RegistrySync.RegistrySyncClient(channel).GetSyncStateAsync(new GetSyncStateRequest(), headers);
            Console.WriteLine($"sequence {s.Sequence}; registered IMEIs {s.RegisteredImeis}; bindings {s.Bindings}; stolen {s.StolenImeis}; subscribers {s.Subscribers}; last applied {s.LastAppliedAt?.ToDateTimeOffset().ToString("u") ?? "never"}");
            return 0;
        case "device":
            var d = await new SelfService.SelfServiceClient(channel).GetDeviceStatusAsync(new DeviceStatusRequest { Imei = options.Positional(0, "imei") }, headers);
            Console.WriteLine($"registered {d.Registered}{(d.DeviceId.Length > 0 ? $" (device {d.DeviceId})" : "")}; stolen {d.Stolen}; bound numbers {d.BoundNumbers}: {string.Join(", ", d.BoundNumbersMasked)}");
            return 0;
        case "switch":
            var sw = await new SelfService.SelfServiceClient(channel).SwitchNumberAsync(
                new SwitchNumberRequest { PreviousMsisdn = options.Required("from"), NewMsisdn = options.Required("to"), Imei = options.Get("imei") ?? "" }, headers);
            Console.WriteLine($"switched {string.Join(", ", sw.SwitchedImeis)} (sequence {sw.Sequence})");
            return 0;
        default:
            Console.Error.WriteLine($"unknown command '{options.Command}' (eir help)");
            return 2;
    }
}
catch (RpcException ex)
{
    Console.Error.WriteLine($"{ex.StatusCode}: {ex.Status.Detail}");
    return ex.StatusCode == StatusCode.Unavailable ? 3 : 1;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
