using ImeiEir.Cli;

// eir: the operator's tool. Commands and options in EirCli, exit codes in ExitCodes.
return await EirCli.RunAsync(args, EirConsole.Standard(), Environment.GetEnvironmentVariable, handleSignals: true);
