using System.Text.Json;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;
using ImeiEir.Server.N5gEir;
using ImeiEir.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImeiEir.Fuzz;

/// <summary>
/// N5g-eir GetEquipmentStatus from the query string on: <see cref="EquipmentStatusQuery.Parse"/> (splitting,
/// percent-decoding, duplicates, unknown names), then the endpoint's decision (pei/supi/gpsi forms, the identifier
/// parsers, the verdict) and the problem body it would serialize. The input is the raw query string, as Kestrel
/// hands it over (UTF-8). Run against both <c>Policy:UnknownEquipment</c> modes.
/// </summary>
internal static class N5gQueryTarget
{
    private static readonly HashSet<string> KnownCauses =
    [
        Causes.MandatoryQueryParamMissing, Causes.MandatoryQueryParamIncorrect, Causes.OptionalQueryParamIncorrect, Causes.InvalidQueryParam,
    ];

    private static readonly (EquipmentStatusEndpoint Endpoint, EquipmentChecker Checker)[] Endpoints =
    [
        Create(UnknownEquipmentMode.Blacklisted),
        Create(UnknownEquipmentMode.Unknown),
    ];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var query = Input.Text(data);
        foreach (var (endpoint, checker) in Endpoints)
        {
            Check(query, endpoint, checker);
        }
    }

    private static void Check(string query, EquipmentStatusEndpoint endpoint, EquipmentChecker checker)
    {
        var answer = endpoint.Decide(query);
        var q = EquipmentStatusQuery.Parse(query, new char[query.Length]);
        if (answer.Problem is { } problem)
        {
            Invariant.That(answer.Status == EquipmentStatus.Unspecified, "n5g: a problem carries no status");
            Invariant.That(problem.Status == 400 && problem.Title == "Bad Request", "n5g: every refusal of a query is 400");
            Invariant.That(problem.Cause is not null && KnownCauses.Contains(problem.Cause), "n5g: the cause is one TS 29.500 defines for a query");
            Invariant.That(problem.InvalidParams is [{ Param: var param, Reason.Length: > 0 }] && param.StartsWith("query ", StringComparison.Ordinal),
                "n5g: exactly one invalid parameter, named 'query <name>', with a reason");
            Invariant.That(problem.Detail is not null && problem.Detail.StartsWith(problem.InvalidParams[0].Param[6..], StringComparison.Ordinal),
                "n5g: the detail starts with the parameter's name");

            // What the endpoint writes: the body must serialize and be JSON that reads back to the same detail.
            using var json = JsonDocument.Parse(N5gEirJsonContext.Utf8(problem));
            Invariant.That(json.RootElement.GetProperty("detail").GetString() == problem.Detail, "n5g: the problem body round-trips");
            return;
        }

        // A verdict: the query parsed clean, pei was a usable IMEI, and the endpoint asked the core about the very
        // fields it was given.
        Invariant.That(q.Error == QueryError.None && (q.Present & QueryParameter.Pei) != 0, "n5g: a verdict only for a clean query with pei");
        Invariant.That(ImeiParser.TryParse(q.Pei, out _) == ParseStatus.Ok, "n5g: a verdict only for a pei the IMEI parser accepts");
        var direct = checker.Check(q.Pei, q.Gpsi, q.Supi);
        Invariant.That(direct.IsValid, "n5g: the fields the verdict came from are valid to the core");
        if (answer.Status == EquipmentStatus.Unspecified)
        {
            Invariant.That(checker.Options.UnknownEquipment == UnknownEquipmentMode.Unknown && direct.Decision.IsUnknownEquipment,
                "n5g: 404 unknown only in Unknown mode and for unknown equipment");
        }
        else
        {
            Invariant.That(answer.Status == direct.Decision.Status, "n5g: the answer is the core's status for the same fields");
            Invariant.That(answer.Status is EquipmentStatus.Whitelisted or EquipmentStatus.Blacklisted or EquipmentStatus.Greylisted, "n5g: one of the three statuses");
        }
    }

    private static (EquipmentStatusEndpoint, EquipmentChecker) Create(UnknownEquipmentMode mode)
    {
        var checker = Fixture.Checker(mode);
        var policy = checker.Options;

        // The endpoint records metrics; EirMetrics wants the node's index, follower, sync state, connection and grace marks only for gauges read at
        // export time, so neither is started and nothing connects to Redis.
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var marks = new ClusterGraceMarks(policy, Fixture.Time, NullLogger<ClusterGraceMarks>.Instance);
        var redis = new RedisOptions();
        var index = new EirIndex();
        var store = new RedisStore(redis);
        var refusal = new SyncRefusal(NullLogger<SyncRefusal>.Instance);
        var turn = new WriterTurn();
        var thread = new WriterThread(new WriterOptions());
        var devices = new ImeiEir.Core.Registry.DeviceDirectory();
        var checkpointer = new Checkpointer(index, devices, store, turn, thread, redis, Fixture.Time, NullLogger<Checkpointer>.Instance);
        var follower = new LogFollower(index, devices, store, turn, thread, refusal, checkpointer, marks, redis, Fixture.Time, NullLogger<LogFollower>.Instance);
        return (new EquipmentStatusEndpoint(checker, new EirMetrics(meters, index, follower, refusal, store.Connection, marks)), checker);
    }
}
