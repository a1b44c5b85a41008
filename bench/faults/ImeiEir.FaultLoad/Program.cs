using ImeiEir.FaultLoad;

// The fault suite's client side (bench/faults/README.md): `seed`, `checks`, `sync`, `verify`, `converge`.
// Exit codes: 0 done (and, for verify/converge, the property holds), 1 it does not hold, 2 bad arguments.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Commands.Help);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    var options = new Options(args.Skip(1));
    return args[0] switch
    {
        "seed" => await SeedCommand.RunAsync(options, stop.Token),
        "checks" => await CheckLoadCommand.RunAsync(options, stop.Token),
        "sync" => await SyncLoadCommand.RunAsync(options, stop.Token),
        "verify" => await VerifyCommand.RunAsync(options),
        "converge" => await ConvergeCommand.RunAsync(options, stop.Token),
        "report" => await ReportCommand.RunAsync(options),
        _ => throw new ArgumentException($"unknown command '{args[0]}' ({Commands.Names})"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("faultload: " + ex.Message);
    return 2;
}
