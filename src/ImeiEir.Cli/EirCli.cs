using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Cli;

/// <summary>
/// <c>eir</c>'s commands on System.CommandLine: parsing, help (<c>-h</c>, <c>eir help [command]</c>), shell completion
/// (the <c>[suggest]</c> directive that dotnet-suggest calls). Exit codes in <see cref="ExitCodes"/>: a command line
/// that does not parse, or a setting that does not check out, exits 2 before anything is sent.
/// </summary>
internal static class EirCli
{
    /// <param name="args">The command line.</param>
    /// <param name="console">Where output and errors go.</param>
    /// <param name="environment">Reads an environment variable (EIR_SERVER, EIR_KEY, EIR_CA, EIR_CERT, EIR_CERT_KEY).</param>
    /// <param name="handleSignals">Ctrl+C cancels the running command (the process; not in tests).</param>
    /// <param name="cancellationToken">Cancels the running command, as Ctrl+C does.</param>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, EirConsole console, Func<string, string?> environment, bool handleSignals = false, CancellationToken cancellationToken = default)
    {
        var root = Build(console, environment);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            // Our actions map their own failures to exit codes; anything else is a bug and should crash loudly.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = handleSignals ? TimeSpan.FromSeconds(5) : null,
        };
        if (parse.Action is ParseErrorAction)
        {
            return ParseErrors(root, parse, console, invocation);
        }

        return await parse.InvokeAsync(invocation, cancellationToken);
    }

    private static int ParseErrors(RootCommand root, ParseResult parse, EirConsole console, InvocationConfiguration invocation)
    {
        if (parse.Tokens.Count == 0)
        {
            // Bare `eir`: what it can do, and still a usage error.
            root.Parse(["--help"]).Invoke(invocation);
            return ExitCodes.Usage;
        }

        if (parse.CommandResult.Command == root && parse.UnmatchedTokens.Count > 0)
        {
            // `eir frob`: one clear line rather than "command not provided" and "unrecognized argument" both.
            console.Error.WriteLine($"eir: unknown command '{parse.UnmatchedTokens[0]}' (see 'eir --help')");
            return ExitCodes.Usage;
        }

        foreach (var error in parse.Errors)
        {
            console.Error.WriteLine($"eir: {error.Message}");
        }

        var command = parse.CommandResult.Command == root ? "eir" : $"eir {parse.CommandResult.Command.Name}";
        console.Error.WriteLine($"see '{command} --help'");
        return ExitCodes.Usage;
    }

    private static RootCommand Build(EirConsole console, Func<string, string?> environment)
    {
        var connection = new ConnectionOptions();
        var root = new RootCommand("eir: the operator's tool for an ImeiEir node (imports, checks, status, number switch, events, audit).");
        foreach (var o in connection.All)
        {
            root.Options.Add(o);
        }

        root.Subcommands.Add(Import(console, connection, environment));
        root.Subcommands.Add(Check(console, connection, environment));
        root.Subcommands.Add(Status(console, connection, environment));
        root.Subcommands.Add(Device(console, connection, environment));
        root.Subcommands.Add(Switch(console, connection, environment));
        root.Subcommands.Add(Events(console, connection, environment));
        root.Subcommands.Add(Report(console, connection, environment));
        root.Subcommands.Add(Audit(console, connection, environment));
        root.Subcommands.Add(Help(root));
        return root;
    }

    private static Command Import(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var file = new Argument<string>("file") { Description = "Delta file: .csv (see README), or .jsonl/.json/.ndjson (one imeieir.v1.Delta per line)" };
        file.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !File.Exists(path))
            {
                r.AddError($"<file>: no such file '{path}'");
            }
        });
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Deltas per batch",
            HelpName = "n",
            DefaultValueFactory = _ => 1000,
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                {
                    return n;
                }

                r.AddError($"--batch-size must be a positive number, got '{text}'");
                return 0;
            },
        };
        var command = new Command("import", "Send a delta file through RegistrySync.Apply with a progress bar; re-running after an interruption resumes and never applies a batch twice")
        {
            file,
            batchSize,
        };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            return await new Importer(new RegistrySync.RegistrySyncClient(channel), c.Headers(), console)
                .RunAsync(parse.GetRequiredValue(file), parse.GetValue(batchSize), ct);
        });
        return command;
    }

    private static Command Check(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var imei = new Argument<string>("imei") { Description = "IMEI (14, 15 or 16 digits, or imei-/imeisv- form)" };
        var msisdn = new Option<string>("--msisdn") { Description = "Subscriber number", HelpName = "msisdn" };
        var imsi = new Option<string>("--imsi") { Description = "Subscriber identity (decides home or roaming)", HelpName = "imsi" };
        var json = JsonOption();
        var command = new Command("check", "Ask for a verdict; exit code 0 when allowed, 1 when denied") { imei, msisdn, imsi, json };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var request = new CheckRequest { Imei = parse.GetRequiredValue(imei), Msisdn = parse.GetValue(msisdn) ?? "", Imsi = parse.GetValue(imsi) ?? "" };
            var r = await new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(request, c.Headers(), cancellationToken: ct);
            Print(console, parse.GetValue(json), r, Answers.Check);
            return r.Verdict == Verdict.Allow ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Command Status(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var json = JsonOption();
        var command = new Command("status", "The node's sync state: sequence and counts") { json };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var s = await new RegistrySync.RegistrySyncClient(channel).GetSyncStateAsync(new GetSyncStateRequest(), c.Headers(), cancellationToken: ct);
            Print(console, parse.GetValue(json), s, Answers.Status);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Device(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var imei = new Argument<string>("imei") { Description = "IMEI, any form" };
        var json = JsonOption();
        var command = new Command("device", "Device status: registered, stolen, bound numbers (masked)") { imei, json };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var asked = parse.GetRequiredValue(imei);
            var d = await new SelfService.SelfServiceClient(channel).GetDeviceStatusAsync(new DeviceStatusRequest { Imei = asked }, c.Headers(), cancellationToken: ct);
            Print(console, parse.GetValue(json), d, (con, reply) => Answers.Device(con, asked, reply));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Switch(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var from = new Option<string>("--from") { Description = "The number the IMEI is bound to now", HelpName = "msisdn", Required = true };
        var to = new Option<string>("--to") { Description = "The new number", HelpName = "msisdn", Required = true };
        var imei = new Option<string>("--imei") { Description = "Only this IMEI (else every IMEI bound to --from that was checked with --to)", HelpName = "imei" };
        var json = JsonOption();
        var command = new Command("switch", "NUMBER SWITCH: move bound IMEIs from one number to another") { from, to, imei, json };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var request = new SwitchNumberRequest { PreviousMsisdn = parse.GetRequiredValue(from), NewMsisdn = parse.GetRequiredValue(to), Imei = parse.GetValue(imei) ?? "" };
            var sw = await new SelfService.SelfServiceClient(channel).SwitchNumberAsync(request, c.Headers(), cancellationToken: ct);
            Print(console, parse.GetValue(json), sw, Answers.Switch);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Events(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var group = new Option<string>("--group") { Description = "Consumer group (one per consuming application)", HelpName = "group", Required = true };
        var consumer = new Option<string>("--consumer")
        {
            Description = "Consumer name in the group; pending events of this name are shown first",
            HelpName = "name",
            DefaultValueFactory = _ => "eir-" + Environment.MachineName,
        };
        var op = new Option<string>("--operator") { Description = "Only this home operator's events, MCC-MNC (e.g. 437-01)", HelpName = "mcc-mnc" };
        op.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (v is not null && !System.Text.RegularExpressions.Regex.IsMatch(v, "^[0-9]{3}-[0-9]{2,3}$"))
            {
                r.AddError($"--operator must be MCC-MNC, e.g. 437-01, got '{v}'");
            }
        });
        var kinds = new Option<string[]>("--kind")
        {
            Description = "Only these kinds (repeatable): grace_started, grace_expiring, switch_required, not_registered, stolen_seen, auto_whitelisted, clone_suspected",
            HelpName = "kind",
            AllowMultipleArgumentsPerToken = true,
        };
        kinds.AcceptOnlyFromAmong("grace_started", "grace_expiring", "switch_required", "not_registered", "stolen_seen", "auto_whitelisted", "clone_suspected");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until interrupted (else stop once caught up)" };
        var ack = new Option<bool>("--ack") { Description = "Acknowledge each event once printed: the group never gets it again" };
        var idle = new Option<double>("--idle") { Description = "Without --follow: seconds without a new event that mean caught up", HelpName = "s", DefaultValueFactory = _ => 2 };
        var json = JsonOption();
        var command = new Command("events", "Read subscriber notification events of a consumer group (EventFeed; role events)") { group, consumer, op, kinds, follow, ack, idle, json };
        SetAction(command, console, async (parse, ct) =>
        {
            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var request = new SubscribeRequest { ConsumerGroup = parse.GetRequiredValue(group), Consumer = parse.GetValue(consumer) ?? "", HomeOperator = parse.GetValue(op) ?? "" };
            foreach (var k in parse.GetValue(kinds) ?? [])
            {
                request.Kinds.Add(Enum.Parse<EventKind>(k.Replace("_", "", StringComparison.Ordinal), ignoreCase: true));
            }

            var seconds = parse.GetValue(idle);
            if (seconds is <= 0 or > 3600)
            {
                throw new UsageException($"--idle must be more than 0 and at most 3600 seconds, got {seconds}");
            }

            return await new EventWatch(new EventFeed.EventFeedClient(channel), c.Headers(), console)
                .RunAsync(request, parse.GetValue(follow), parse.GetValue(ack), parse.GetValue(json), TimeSpan.FromSeconds(seconds), ct);
        });
        return command;
    }

    private static Command Audit(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var since = new Option<string>("--since") { Description = "Entries at or after this time: ISO 8601 (UTC unless an offset is given) or an age (90m, 24h, 7d)", HelpName = "time" };
        var until = new Option<string>("--until") { Description = "Entries before this time (same forms as --since)", HelpName = "time" };
        var fromSeq = new Option<ulong>("--from-seq") { Description = "Entries with sequence at least this", HelpName = "n" };
        var toSeq = new Option<ulong>("--to-seq") { Description = "Entries with sequence at most this", HelpName = "n" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries (oldest first)", HelpName = "n", DefaultValueFactory = _ => 1_000 };
        var json = new Option<bool>("--json") { Description = "One AuditEntry per line as protobuf JSON (for scripts)" };
        var command = new Command("audit", "The audit trail: accepted batches and self-service switches with the client's name (RegistrySync.GetAudit; role sync)") { since, until, fromSeq, toSeq, limit, json };
        SetAction(command, console, async (parse, ct) =>
        {
            var n = parse.GetValue(limit);
            if (n <= 0)
            {
                throw new UsageException($"--limit must be a positive number, got {n}");
            }

            var now = DateTimeOffset.UtcNow;
            var request = new GetAuditRequest { FromSequence = parse.GetValue(fromSeq), ToSequence = parse.GetValue(toSeq) };
            if (parse.GetValue(since) is { } s)
            {
                request.Since = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(AuditListing.ParseTime("--since", s, now));
            }

            if (parse.GetValue(until) is { } u)
            {
                request.Until = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(AuditListing.ParseTime("--until", u, now));
            }

            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            await new AuditListing(new RegistrySync.RegistrySyncClient(channel), c.Headers(), console).RunAsync(request, n, parse.GetValue(json), ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Report(EirConsole console, ConnectionOptions connection, Func<string, string?> environment)
    {
        var limit = new Option<int>("--limit") { Description = "At most this many IMEIs", HelpName = "n", DefaultValueFactory = _ => 100 };
        var json = JsonOption();
        var clones = new Command("clones", "IMEIs seen with more distinct home IMSIs than Events:CloneThreshold over the last day") { limit, json };
        SetAction(clones, console, async (parse, ct) =>
        {
            var n = parse.GetValue(limit);
            if (n <= 0)
            {
                throw new UsageException($"--limit must be a positive number, got {n}");
            }

            var c = Connection.Resolve(parse, connection, environment);
            using var channel = c.OpenChannel();
            var r = await new EventFeed.EventFeedClient(channel).ReportClonesAsync(new ReportClonesRequest { Limit = (uint)n }, c.Headers(), cancellationToken: ct);
            Print(console, parse.GetValue(json), r, Answers.Clones);
            return ExitCodes.Ok;
        });
        return new Command("report", "Reports (role events)") { clones };
    }

    /// <summary><c>eir help [command]</c>, as the tool had before; hidden (<c>-h</c> is the documented way).</summary>
    private static Command Help(RootCommand root)
    {
        var topic = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "Show help") { Hidden = true };
        command.Arguments.Add(topic);
        command.SetAction(parse => root.Parse([.. parse.GetValue(topic) ?? [], "--help"]).Invoke(parse.InvocationConfiguration));
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the reply as protobuf JSON on one line (every field, for scripts)" };

    private static void Print<T>(EirConsole console, bool json, T reply, Action<EirConsole, T> human)
        where T : Google.Protobuf.IMessage
    {
        if (json)
        {
            Answers.Json(console, reply);
        }
        else
        {
            human(console, reply);
        }
    }

    /// <summary>
    /// The call never reached the node: UNAVAILABLE (refused, timed out), or the HTTP request could not start at all,
    /// which Grpc.Net.Client reports as INTERNAL (a TLS handshake that failed: untrusted server, refused client
    /// certificate).
    /// </summary>
    private static bool Unreached(RpcException ex)
        => ex.StatusCode == StatusCode.Unavailable || (ex.StatusCode == StatusCode.Internal && ex.Status.DebugException is HttpRequestException);

    /// <summary>Runs a command's action and turns its failures into exit codes and one line on standard error.</summary>
    private static void SetAction(Command command, EirConsole console, Func<ParseResult, CancellationToken, Task<int>> action)
        => command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (UsageException ex)
            {
                await console.Error.WriteLineAsync($"eir: {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A delta file that cannot be read, a state file that cannot be written: the message names it.
                await console.Error.WriteLineAsync($"eir: {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                await console.Error.WriteLineAsync("eir: interrupted");
                return ExitCodes.Interrupted;
            }
            catch (RpcException ex)
            {
                // UNAVAILABLE's detail is generic ("Error connecting to subchannel."); the cause (refused, TLS) is below it.
                var cause = ex.Status.DebugException?.GetBaseException().Message;
                await console.Error.WriteLineAsync(cause is null || ex.Status.Detail.Contains(cause, StringComparison.Ordinal)
                    ? $"{ex.StatusCode}: {ex.Status.Detail}"
                    : $"{ex.StatusCode}: {ex.Status.Detail} ({cause})");
                return Unreached(ex) ? ExitCodes.Unavailable : ExitCodes.Failed;
            }
        });
}
