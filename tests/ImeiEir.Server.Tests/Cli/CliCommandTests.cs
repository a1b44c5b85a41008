using Google.Protobuf;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests.Cli;

/// <summary>
/// <c>eir</c>'s commands against a real node: what they print (for a person, and with <c>--json</c> for a script),
/// EIR_SERVER and EIR_KEY, and one test or more per exit code (see <c>ExitCodes</c>).
/// </summary>
public sealed class CliCommandTests : NodeTest
{
    private const string Registered = "35401011000001";
    private const string Bound = "35401011000002";
    private const string Stolen = "35401011000003";
    private const string Unknown = "35401011000009";
    private const string Number = "996700111111";

    private readonly string _dir = Directory.CreateTempSubdirectory("imeieir-cli-").FullName;

    private string Server => $"http://127.0.0.1:{Node.GrpcPort}";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var ack = await Node.ApplyOneAsync("cli-seed", D.Register("DEV-1", Registered), D.Bind(Bound, Number), D.Register("DEV-3", Stolen), D.Stolen(Stolen));
        Assert.True(ack.Accepted, ack.Error);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private Task<EirRun> EirAsync(string key, params string[] args) => Eir.RunAsync([.. args, "--server", Server, "--key", key]);

    private string DeltaFile(int devices)
    {
        var path = Path.Combine(_dir, "deltas.csv");
        File.WriteAllLines(path, Enumerable.Range(0, devices).Select(i => $"register,IMPORT-{i},35402022{i:D6}"));
        return path;
    }

    // 0: done.

    [Fact]
    public async Task Check_Registered_PrintsTheVerdictLineAndExits0()
    {
        var run = await EirAsync(TestNode.CheckKey, "check", Registered);

        Assert.Equal((0, "Allow Whitelisted Registered (sequence 1)" + Environment.NewLine, ""), (run.Code, run.Out, run.Err));
    }

    [Fact]
    public async Task Check_Json_PrintsTheReplyAsProtobufJsonOnOneLine()
    {
        var run = await EirAsync(TestNode.CheckKey, "check", Registered, "--msisdn", Number, "--json");

        var reply = JsonParser.Default.Parse<CheckResponse>(run.Out);
        Assert.Equal(0, run.Code);
        Assert.Single(run.Out.TrimEnd().Split('\n'));
        Assert.Equal((Verdict.Allow, Reason.Registered, 1UL), (reply.Verdict, reply.Reason, reply.Sequence));
        Assert.Contains("\"correlationId\": \"0\"", run.Out, StringComparison.Ordinal); // default values too, for scripts
    }

    [Fact]
    public async Task Status_PrintsATableOfTheCounts()
    {
        var run = await EirAsync(TestNode.SyncKey, "status");

        Assert.Equal(0, run.Code);
        foreach (var (name, value) in new[] { ("sequence", "1"), ("registered IMEIs", "2"), ("bindings", "1"), ("stolen", "1"), ("subscribers", "0") })
        {
            Assert.Matches($@"{name}\W+{value}\W", run.Out);
        }
    }

    [Fact]
    public async Task Status_Json_IsTheSyncState()
    {
        var run = await EirAsync(TestNode.SyncKey, "status", "--json");

        var state = JsonParser.Default.Parse<SyncState>(run.Out);
        Assert.Equal(0, run.Code);
        Assert.Equal((1UL, 2UL, 1UL, 1UL), (state.Sequence, state.RegisteredImeis, state.Bindings, state.StolenImeis));
    }

    [Fact]
    public async Task Device_Bound_PrintsATableWithTheMaskedNumber()
    {
        var run = await EirAsync(TestNode.SelfServiceKey, "device", Bound);

        Assert.Equal(0, run.Code);
        Assert.Matches(@"registered\W+no\W", run.Out);
        Assert.Matches(@"bound numbers\W+1: 996\*+1111", run.Out);
        Assert.DoesNotContain(Number, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_Json_IsTheDeviceStatus()
    {
        var run = await EirAsync(TestNode.SelfServiceKey, "device", Stolen, "--json");

        var d = JsonParser.Default.Parse<DeviceStatusResponse>(run.Out);
        Assert.Equal((0, true, true, "DEV-3"), (run.Code, d.Registered, d.Stolen, d.DeviceId));
    }

    [Fact]
    public async Task Switch_BoundImei_PrintsWhatWasSwitched()
    {
        var run = await EirAsync(TestNode.SelfServiceKey, "switch", "--from", Number, "--to", "996700222222", "--imei", Bound);

        Assert.Equal((0, $"switched {Bound} (sequence 2)" + Environment.NewLine), (run.Code, run.Out));
        Assert.Equal(Verdict.Allow, (await Node.CheckAsync(Bound, "996700222222")).Verdict);
    }

    [Fact]
    public async Task Audit_Json_OneEntryPerChangeWithTheClient()
    {
        var switched = await EirAsync(TestNode.SelfServiceKey, "switch", "--from", Number, "--to", "996700222222", "--imei", Bound);
        Assert.Equal(0, switched.Code);

        var run = await EirAsync(TestNode.SyncKey, "audit", "--since", "1h", "--json");

        Assert.Equal(0, run.Code);
        var entries = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JsonParser.Default.Parse<AuditEntry>).ToList();
        Assert.Equal([(1UL, "registry", AuditSource.Sync, "cli-seed"), (2UL, "ussd", AuditSource.SelfService, entries[1].BatchId)], entries.Select(e => (e.Sequence, e.Client, e.Source, e.BatchId)));
        Assert.Equal(2u, entries[0].Counts.RegisterDevice);
        Assert.Equal(1u, entries[1].Counts.SwitchNumber);
    }

    [Fact]
    public async Task Audit_Table_ListsTheSeedBatch()
    {
        var run = await EirAsync(TestNode.SyncKey, "audit", "--from-seq", "1");

        Assert.Equal(0, run.Code);
        Assert.Contains("cli-seed", run.Out, StringComparison.Ordinal);
        Assert.Contains("register 2, bind 1, stolen 1", run.Out, StringComparison.Ordinal);
        Assert.Contains("registry", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--since", "yesterday", "--since must be a time")]
    [InlineData("--limit", "0", "--limit must be a positive number")]
    public async Task Audit_BadOption_Exits2NamingIt(string option, string value, string message)
    {
        var run = await EirAsync(TestNode.SyncKey, "audit", option, value);

        Assert.Equal(2, run.Code);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_Exits0AndListsEveryCommand(string help)
    {
        var run = await Eir.RunAsync(help);

        Assert.Equal(0, run.Code);
        foreach (var command in new[] { "import <file>", "check <imei>", "status", "device <imei>", "switch", "--server", "--key", "--ca", "--cert", "--cert-key", "EIR_SERVER", "EIR_KEY" })
        {
            Assert.Contains(command, run.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HelpCommand_OfACommand_ShowsItsOptions()
    {
        var run = await Eir.RunAsync("help", "switch");

        Assert.Equal(0, run.Code);
        Assert.Contains("--from <msisdn>", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ThroughTheCommandLine_PlainProgressLinesWithoutAnsi()
    {
        var path = DeltaFile(25);

        var run = await EirAsync(TestNode.SyncKey, "import", path, "--batch-size", "10");

        Assert.Equal(0, run.Code);
        Assert.Contains("batch 1/3 (33%)", run.Out, StringComparison.Ordinal);
        Assert.Contains("batch 3/3 (100%)", run.Out, StringComparison.Ordinal);
        Assert.Contains("imported 25 deltas in 3 batches (25 sent now)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Out);
        Assert.Equal(27UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }

    // Environment: EIR_SERVER and EIR_KEY stand in for --server and --key; an option given wins.

    [Fact]
    public async Task Environment_ServerAndKey_UsedWithoutOptions()
    {
        var run = await Eir.RunAsync(new Dictionary<string, string> { ["EIR_SERVER"] = Server, ["EIR_KEY"] = TestNode.CheckKey }, "check", Registered);

        Assert.Equal(0, run.Code);
    }

    [Fact]
    public async Task Environment_OptionsGiven_WinOverTheVariables()
    {
        var env = new Dictionary<string, string> { ["EIR_SERVER"] = $"http://127.0.0.1:{RedisServer.FreePort()}", ["EIR_KEY"] = "wrong-key" };

        var run = await Eir.RunAsync(env, "check", Registered, "--server", Server, "--key", TestNode.CheckKey);

        Assert.Equal(0, run.Code);
    }

    // 1: denied, or the node refused the call.

    [Theory]
    [InlineData(Unknown, "Deny Blacklisted NotRegistered")]
    [InlineData(Stolen, "Deny Blacklisted Stolen")]
    public async Task Check_Denied_Exits1(string imei, string line)
    {
        var run = await EirAsync(TestNode.CheckKey, "check", imei);

        Assert.Equal((1, line + " (sequence 1)" + Environment.NewLine), (run.Code, run.Out));
    }

    [Fact]
    public async Task Check_NoKey_Unauthenticated_Exits1()
    {
        var run = await Eir.RunAsync("check", Registered, "--server", Server);

        Assert.Equal(1, run.Code);
        Assert.StartsWith("Unauthenticated:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_KeyWithoutRoleSync_PermissionDenied_Exits1()
    {
        var run = await EirAsync(TestNode.CheckKey, "status");

        Assert.Equal(1, run.Code);
        Assert.StartsWith("PermissionDenied:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MalformedImei_InvalidArgumentNamingTheField_Exits1()
    {
        var run = await EirAsync(TestNode.CheckKey, "check", "12345");

        Assert.Equal(1, run.Code);
        Assert.StartsWith("InvalidArgument:", run.Err, StringComparison.Ordinal);
        Assert.Contains("imei", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switch_NothingMatches_FailedPrecondition_Exits1()
    {
        var run = await EirAsync(TestNode.SelfServiceKey, "switch", "--from", "996700999999", "--to", "996700222222");

        Assert.Equal(1, run.Code);
        Assert.StartsWith("FailedPrecondition:", run.Err, StringComparison.Ordinal);
    }

    // 2: bad input, nothing sent.

    [Theory]
    [InlineData(new[] { "frob" }, "unknown command 'frob'")]
    [InlineData(new[] { "check" }, "Required argument missing for command: 'check'")]
    [InlineData(new[] { "device" }, "Required argument missing for command: 'device'")]
    [InlineData(new[] { "check", Registered, "--msisdn" }, "--msisdn")]
    [InlineData(new[] { "check", Registered, "--bogus", "1" }, "'--bogus'")]
    [InlineData(new[] { "switch", "--from", Number }, "Option '--to' is required")]
    [InlineData(new[] { "switch", "--to", Number }, "Option '--from' is required")]
    [InlineData(new[] { "import" }, "Required argument missing for command: 'import'")]
    [InlineData(new[] { "import", "/no/such/deltas.csv" }, "<file>: no such file '/no/such/deltas.csv'")]
    [InlineData(new[] { "status", "extra" }, "'extra'")]
    public async Task CommandLine_Malformed_Exits2NamingWhatIsWrong(string[] args, string message)
    {
        var run = await Eir.RunAsync(["--server", Server, "--key", TestNode.AllKey, .. args]);

        Assert.Equal(2, run.Code);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task CommandLine_Empty_PrintsHelpAndExits2()
    {
        var run = await Eir.RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Contains("check <imei>", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("ten")]
    public async Task Import_BadBatchSize_Exits2AndSendsNothing(string size)
    {
        var path = DeltaFile(5);

        var run = await EirAsync(TestNode.SyncKey, "import", path, "--batch-size", size);

        Assert.Equal(2, run.Code);
        Assert.Contains($"--batch-size must be a positive number, got '{size}'", run.Err, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Import_BadLine_Exits2AndSendsNothing()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(path, ["register,DEV-9,35402022000001", "bind,35402022000001"]);

        var run = await EirAsync(TestNode.SyncKey, "import", path);

        Assert.Equal(2, run.Code);
        Assert.Contains("bad.csv:2: 'bind' needs msisdn (column 3)", run.Err, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Import_BatchRejectedByTheNode_Exits2NamingTheLine()
    {
        var path = Path.Combine(_dir, "rejected.csv");
        File.WriteAllLines(path, ["register,DEV-9,35402022000001", "bind,35402022000002,12"]);

        var run = await EirAsync(TestNode.SyncKey, "import", path);

        Assert.Equal(2, run.Code);
        Assert.Contains("line 2: bind.msisdn", run.Err, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Import_ResumedWithAnotherBatchSize_Exits2AndSendsNothing()
    {
        var path = DeltaFile(25);
        var fileId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))[..16];
        File.WriteAllText(path + ".import-state", $"{fileId} 1 10 0123456789abcdef0123456789abcdef");

        var run = await EirAsync(TestNode.SyncKey, "import", path, "--batch-size", "5");

        Assert.Equal(2, run.Code);
        Assert.Contains("--batch-size 5: the interrupted import of this file used --batch-size 10", run.Err, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Theory]
    [InlineData("--server", "not a url", "--server must be an http:// or https:// URL, got 'not a url'")]
    [InlineData("--server", "ftp://127.0.0.1/", "--server must be an http:// or https:// URL")]
    [InlineData("--ca", "/etc/hostname", "--ca applies to TLS only")]
    [InlineData("--cert", "/etc/hostname", "--cert applies to TLS only")]
    [InlineData("--cert-key", "/etc/hostname", "--cert-key needs a client certificate")]
    public async Task ConnectionOption_Bad_Exits2NamingTheOption(string option, string value, string message)
    {
        string[] server = option == "--server" ? [] : ["--server", Server];

        var run = await Eir.RunAsync(["check", Registered, "--key", TestNode.CheckKey, .. server, option, value]);

        Assert.Equal(2, run.Code);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EIR_SERVER", "127.0.0.1:5080", "EIR_SERVER must be an http:// or https:// URL")]
    [InlineData("EIR_CA", "/etc/hostname", "EIR_CA applies to TLS only")]
    [InlineData("EIR_CERT_KEY", "/etc/hostname", "EIR_CERT_KEY needs a client certificate")]
    public async Task EnvironmentVariable_Bad_Exits2NamingTheVariable(string variable, string value, string message)
    {
        var env = new Dictionary<string, string> { ["EIR_SERVER"] = Server, [variable] = value };

        var run = await Eir.RunAsync(env, "check", Registered, "--key", TestNode.CheckKey);

        Assert.Equal(2, run.Code);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
    }

    // 3: the node cannot be reached.

    [Fact]
    public async Task Check_NothingListening_Unavailable_Exits3()
    {
        var run = await Eir.RunAsync("check", Registered, "--server", $"http://127.0.0.1:{RedisServer.FreePort()}");

        Assert.Equal(3, run.Code);
        Assert.StartsWith("Unavailable:", run.Err, StringComparison.Ordinal);
        Assert.Contains("refused", run.Err, StringComparison.OrdinalIgnoreCase);
    }

    // 130: interrupted (Ctrl+C cancels the command).

    [Fact]
    public async Task Import_Interrupted_Exits130AndTheNextRunCompletes()
    {
        var path = DeltaFile(25);

        var interrupted = await Eir.CancelledAsync("import", path, "--batch-size", "10", "--server", Server, "--key", TestNode.SyncKey);
        var again = await EirAsync(TestNode.SyncKey, "import", path, "--batch-size", "10");

        Assert.Equal(130, interrupted.Code);
        Assert.Contains("run the same import again to resume", interrupted.Err, StringComparison.Ordinal);
        Assert.Equal(0, again.Code);
        Assert.Equal(27UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }
}
