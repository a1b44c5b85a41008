namespace ImeiEir.Server.Tests.Cli;

/// <summary>
/// The real program (<c>dotnet eir.dll</c>) in a child process, standard output and error redirected to pipes as in a
/// script or CI: the environment variables read by the process, no ANSI sequences, progress as plain lines, and the
/// <c>[suggest]</c> directive that shell completion (dotnet-suggest) calls.
/// </summary>
public sealed class CliProcessTests : NodeTest
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imeieir-cli-process-").FullName;

    private Dictionary<string, string> Environment(string key) => new() { ["EIR_SERVER"] = $"http://127.0.0.1:{Node.GrpcPort}", ["EIR_KEY"] = key };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task Import_Redirected_PlainProgressLinesAndNoAnsi()
    {
        var path = Path.Combine(_dir, "deltas.csv");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, 50).Select(i => $"register,DEV-{i},35402022{i:D6}"));

        var run = await Eir.ProcessAsync(Environment(TestNode.SyncKey), "import", path, "--batch-size", "10");

        Assert.True(run.Code == 0, run.ToString());
        Assert.DoesNotContain('\u001b', run.Out + run.Err);
        string[] expected = ["batch 1/5 (20%), ", "batch 2/5 (40%), ", "batch 3/5 (60%), ", "batch 4/5 (80%), ", "batch 5/5 (100%), ", "imported 50 deltas in 5 batches (50 sent now) in "];
        var lines = run.Out.TrimEnd().Split('\n');
        Assert.Equal(expected.Length, lines.Length);
        Assert.All(expected.Zip(lines), p => Assert.StartsWith(p.First, p.Second, StringComparison.Ordinal));
        Assert.Equal(50UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }

    [Fact]
    public async Task Status_Redirected_TableWithoutAnsi()
    {
        var run = await Eir.ProcessAsync(Environment(TestNode.SyncKey), "status");

        Assert.True(run.Code == 0, run.ToString());
        Assert.Matches(@"sequence\W+0\W", run.Out);
        Assert.DoesNotContain('\u001b', run.Out);
    }

    [Fact]
    public async Task Check_Denied_ProcessExitCode1()
    {
        var run = await Eir.ProcessAsync(Environment(TestNode.CheckKey), "check", "35402022999999");

        Assert.Equal((1, "Deny Blacklisted NotRegistered (sequence 0)\n"), (run.Code, run.Out));
    }

    [Fact]
    public async Task NoCommand_ProcessExitCode2WithHelp()
    {
        var run = await Eir.ProcessAsync(Environment(TestNode.CheckKey));

        Assert.Equal(2, run.Code);
        Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eir s", "status switch")]
    [InlineData("eir d", "device")]
    [InlineData("eir switch --f", "--from")]
    [InlineData("eir check 35402022999999 --ms", "--msisdn")]
    [InlineData("eir --server http://x --ce", "--cert --cert-key")]
    public async Task SuggestDirective_PartialCommandLine_CompletesIt(string line, string expected)
    {
        var run = await Eir.ProcessAsync(new Dictionary<string, string>(), $"[suggest:{line.Length}]", line);

        Assert.Equal(0, run.Code);
        var words = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(expected.Split(' '), e => Assert.Contains(e, words));
        Assert.DoesNotContain("help", words); // the hidden `eir help` is not offered
    }
}
