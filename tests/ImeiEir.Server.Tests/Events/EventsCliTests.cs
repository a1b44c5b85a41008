using ImeiEir.Server.Tests.Cli;

namespace ImeiEir.Server.Tests.Events;

/// <summary><c>eir events</c> and <c>eir report clones</c> against a real node.</summary>
public sealed class EventsCliTests : NodeTest
{
    private const string Unknown = "35401011000009";

    // Without --follow the CLI stops once nothing has come for this long after the feed answered: it must cover the
    // delivery of events already published on a loaded machine (0.5 s did not, twice, at load average 10-17), and
    // every call waits it once at its end.
    private const string Idle = "2";

    protected override IDictionary<string, string?>? Settings => EventsClient.Settings("cli-node", new Dictionary<string, string?> { ["Events:CloneThreshold"] = "1" });

    private string Server => $"http://127.0.0.1:{Node.GrpcPort}";

    private Task<EirRun> EirAsync(string key, params string[] args) => Eir.RunAsync([.. args, "--server", Server, "--key", key]);

    [Fact]
    public async Task Events_PrintsMaskedLines_ShownAgainUntilAcked()
    {
        await Node.CheckAsync(Unknown, "996700111111", "437010000000001");
        await Node.PublishedAsync(1);

        var first = await EirAsync(EventsClient.Key, "events", "--group", "ops", "--consumer", "me", "--idle", Idle);
        var acked = await EirAsync(EventsClient.Key, "events", "--group", "ops", "--consumer", "me", "--idle", Idle, "--ack", "--json");
        var after = await EirAsync(EventsClient.Key, "events", "--group", "ops", "--consumer", "me", "--idle", Idle);

        Assert.Equal(0, first.Code);
        Assert.Contains("not_registered", first.Out, StringComparison.Ordinal);
        Assert.Contains($"imei {Unknown} msisdn 99670***1111 imsi 43701********01 op 437-01", first.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("996700111111", first.Out, StringComparison.Ordinal);
        Assert.Contains("\"msisdn\": \"996700111111\"", acked.Out, StringComparison.Ordinal);
        Assert.Equal((0, "0 event(s) (not acknowledged: shown again to this consumer until --ack)"), (after.Code, after.Err.Trim()));
        Assert.Equal("", after.Out);
    }

    [Fact]
    public async Task Events_OperatorAndKindFilters_BadOperatorExit2()
    {
        await Node.CheckAsync(Unknown, "", "437010000000001");
        await Node.CheckAsync(Unknown, "", "437050000000005");
        await Node.PublishedAsync(2);

        var op05 = await EirAsync(EventsClient.Key, "events", "--group", "mega", "--operator", "437-05", "--kind", "not_registered", "--idle", Idle);
        var bad = await EirAsync(EventsClient.Key, "events", "--group", "mega", "--operator", "43705");

        Assert.Single(op05.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("op 437-05", op05.Out, StringComparison.Ordinal);
        Assert.Equal(2, bad.Code);
        Assert.Contains("--operator", bad.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_WithoutRoleEvents_Exit1()
    {
        var run = await EirAsync(TestNode.CheckKey, "events", "--group", "ops");

        Assert.Equal(1, run.Code);
        Assert.Contains("PermissionDenied", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportClones_ListsTheImei()
    {
        await Node.CheckAsync(Unknown, "", "437010000000001");
        await Node.CheckAsync(Unknown, "", "437050000000005");

        var run = await Eventually.ReachAsync(() => EirAsync(EventsClient.Key, "report", "clones"), r => r.Out.Contains(Unknown, StringComparison.Ordinal));

        Assert.Equal(0, run.Code);
        Assert.Contains(Unknown, run.Out, StringComparison.Ordinal);
    }
}
