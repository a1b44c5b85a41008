using ImeiEir.Cli;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests;

/// <summary><c>eir import</c>: a delta file through RegistrySync.Apply, resumable without applying anything twice.</summary>
public sealed class CliImportTests : NodeTest
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imeieir-import-").FullName;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private Importer NewImporter(StringWriter output, StringWriter? errors = null)
        => new(Node.Sync, TestNode.Auth(TestNode.SyncKey), EirConsole.Plain(output, errors ?? new StringWriter()));

    private string WriteCsv(int devices)
    {
        var path = Path.Combine(_dir, "deltas.csv");
        var lines = new List<string> { "op,arg1,arg2,arg3" };
        lines.AddRange(Enumerable.Range(0, devices).Select(i => $"register,DEV-{i},35401011{i:D6}"));
        lines.Add("bind,00000000000000,996700111111,437010000000001");
        lines.Add("subscriber,437010000000001,996700111111");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task Import_Csv_AppliesEveryLineInBatches()
    {
        var path = WriteCsv(25);

        var code = await NewImporter(new StringWriter()).RunAsync(path, 10, CancellationToken.None);

        var state = await Node.SyncStateAsync();
        Assert.Equal(0, code);
        Assert.Equal((3UL, 25UL, 1UL, 1UL), (state.Sequence, state.RegisteredImeis, state.Bindings, state.Subscribers));
    }

    [Fact]
    public async Task Import_InterruptedThenResumed_NothingAppliedTwice()
    {
        var path = WriteCsv(25);

        // An interrupted run: the first two batches went through, then the process died before writing its state.
        var first = await NewImporter(new StringWriter()).RunAsync(path, 10, CancellationToken.None);
        File.WriteAllText(path + ".import-state", "garbage");
        var output = new StringWriter();
        var again = await NewImporter(output).RunAsync(path, 10, CancellationToken.None);

        var state = await Node.SyncStateAsync();
        Assert.Equal((0, 0), (first, again));
        Assert.Contains("(duplicate)", output.ToString(), StringComparison.Ordinal);
        Assert.Equal((3UL, 25UL), (state.Sequence, state.RegisteredImeis));
    }

    [Fact]
    public async Task Import_StateFileSaysTwoDone_SendsOnlyTheRest()
    {
        var path = WriteCsv(25);
        Assert.Equal(0, await NewImporter(new StringWriter()).RunAsync(path, 10, CancellationToken.None));
        var fileId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))[..16];
        File.WriteAllText(path + ".import-state", $"{fileId} 2");
        var output = new StringWriter();

        var code = await NewImporter(output).RunAsync(path, 10, CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains("resuming after batch 2 of 3", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(3UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Import_BadLines_NothingSentEveryLineReported()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(path, ["register,DEV-1,35401011000001", "frobnicate,1,2", "bind,35401011000001", "stolen,35401011000001,CASE-1"]);
        var errors = new StringWriter();

        var code = await NewImporter(new StringWriter(), errors).RunAsync(path, 10, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("bad.csv:2", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("bad.csv:3", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(0UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Import_JsonLinesRejectedByServer_ReportsLineAndAppliesNothingOfThatBatch()
    {
        var path = Path.Combine(_dir, "deltas.jsonl");
        File.WriteAllLines(path,
        [
            """{"registerDevice":{"deviceId":"DEV-1","imeis":["35401011000001"]}}""",
            """{"bind":{"imei":"35401011000002","msisdn":"12"}}""",
        ]);
        var errors = new StringWriter();

        var code = await NewImporter(new StringWriter(), errors).RunAsync(path, 10, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("line 2: bind.msisdn", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(0UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }

    [Fact]
    public async Task Import_RejectedThenFixed_SendsOnlyTheBatchesNotApplied()
    {
        // Batch 0 can be applied once only (a second UnregisterDevice of DEV-0 is a state conflict); batch 1 is refused.
        Assert.True((await Node.ApplyOneAsync("seed", D.Register("DEV-0", "35401011000000"))).Accepted);
        var path = Path.Combine(_dir, "fix.csv");
        File.WriteAllLines(path, ["unregister,DEV-0", "register,DEV-1,35401011000001", "bind,35401011000002,12"]);
        var first = await NewImporter(new StringWriter()).RunAsync(path, 2, CancellationToken.None);
        File.WriteAllLines(path, ["unregister,DEV-0", "register,DEV-1,35401011000001", "bind,35401011000002,996700111111"]);
        var output = new StringWriter();

        var fixedRun = await NewImporter(output).RunAsync(path, 2, CancellationToken.None);

        var state = await Node.SyncStateAsync();
        Assert.Equal((2, 0), (first, fixedRun));
        Assert.Contains("resuming after batch 1 of 2", output.ToString(), StringComparison.Ordinal);
        Assert.Equal((3UL, 1UL, 1UL), (state.Sequence, state.RegisteredImeis, state.Bindings));
    }

    [Fact]
    public async Task Import_StateOfAVersionDifferingInAppliedLines_RefusedAndNothingSent()
    {
        var path = WriteCsv(25);
        var interrupted = Path.Combine(_dir, "other.csv");
        File.Copy(path, interrupted);
        File.AppendAllLines(interrupted, ["clear-stolen,35401011000001"]);
        Assert.Equal(2, await NewImporter(new StringWriter()).RunAsync(interrupted, 10, CancellationToken.None)); // batch 2 refused
        File.Move(interrupted + ".import-state", path + ".import-state");
        File.WriteAllLines(path, File.ReadAllLines(path).Where(l => !l.Contains("DEV-3,", StringComparison.Ordinal))); // a line of batch 0 gone
        var errors = new StringWriter();

        var code = await NewImporter(new StringWriter(), errors).RunAsync(path, 10, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("applied 2 batch(es), and this version differs in them", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(2UL, (await Node.SyncStateAsync()).Sequence);
    }
}
