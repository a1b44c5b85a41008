using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.DataGen;

namespace ImeiEir.Benchmarks;

/// <summary>
/// The whole decision from request strings to verdict, <see cref="EquipmentChecker.Check(ReadOnlySpan{char}, ReadOnlySpan{char}, ReadOnlySpan{char})"/>:
/// parse IMEI, MSISDN, IMSI, take the index view, run the verdict order. The index holds the full data set
/// (registered, stolen, amnesty bindings, clone clusters, IMSI→MSISDN map). Setup checks every request's answer
/// against the generator's expectation, so a fast wrong answer cannot pass. Must allocate 0 bytes.
/// </summary>
public class PolicyBenchmarks
{
    public const int RequestCount = 1 << 14;
    public const int RegisteredCount = 1 << 13;

    private static readonly Dictionary<int, EirSnapshot> Snapshots = [];

    private EquipmentChecker _checker = null!;
    private EquipmentChecker _checkerWithEvents = null!;
    private EventQueue _events = null!;
    private string[] _imei = [];
    private string[] _msisdn = [];
    private string[] _imsi = [];
    private string[] _registeredImei = [];
    private string[] _registeredImsi = [];

    [ParamsSource(typeof(Sizes), nameof(Sizes.Registered))]
    public int Imeis { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = TestData.DataSet(Imeis);
        EirSnapshot snapshot;
        lock (Snapshots)
        {
            if (!Snapshots.TryGetValue(Imeis, out snapshot!))
            {
                Snapshots.Clear();
                TestData.KeepOnly(-1);
                GC.Collect();
                snapshot = TestData.Snapshot(data, TestData.Keys(Imeis));
                Snapshots[Imeis] = snapshot;
                TestData.KeepOnly(-1);
            }
        }

        var index = new EirIndex();
        index.Load(snapshot, 1);
        _checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System);

        // The same checker with the events observer on (src/ImeiEir.Server/Events), its queue drained as the publisher
        // would: what the check path pays for events.
        _events = new EventQueue(1 << 16);
        _checkerWithEvents = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System)
        {
            Observer = new CheckEventObserver(
                new EventWindows(TimeSpan.FromDays(30), TimeSpan.FromDays(7), TimeSpan.FromHours(1), TimeSpan.FromDays(1)),
                _events,
                new RecentEvents(1 << 18),
                new ImsiSightings(1 << 20),
                437),
        };
        _ = Task.Run(async () =>
        {
            await foreach (var _ in _events.Reader.ReadAllAsync())
            {
            }
        });

        var requests = new RequestMix(data).Take(RequestCount);
        _imei = [.. requests.Select(r => r.Imei)];
        _msisdn = [.. requests.Select(r => r.Msisdn)];
        _imsi = [.. requests.Select(r => r.Imsi)];
        var registered = requests.Where(r => r.Category == RequestCategory.Registered && r.Imsi.Length > 0).Take(RegisteredCount).ToArray();
        _registeredImei = [.. registered.Select(r => r.Imei)];
        _registeredImsi = [.. registered.Select(r => r.Imsi)];

        // Also the warm-up of the grace marks: the first check of a new (IMEI, subscriber) pair records it.
        var wrong = requests.Where(r => !r.Expected.Matches(_checker.Check(r.Imei, r.Msisdn, r.Imsi))).ToArray();
        if (wrong.Length > 0)
        {
            var w = wrong[0];
            throw new InvalidOperationException(
                $"{wrong.Length} of {requests.Length} checks disagree with the generator, e.g. {w.Category} {w.Imei}/{w.Msisdn}/{w.Imsi}: " +
                $"expected {w.Expected}, got {_checker.Check(w.Imei, w.Msisdn, w.Imsi)}.");
        }
    }

    /// <summary>The request mix of the load tool: registered 70 %, bound 10 %, grace 3 %, roaming 5 %, stolen 2 %, unknown 8 %, malformed 2 %.</summary>
    [Benchmark(OperationsPerInvoke = RequestCount)]
    public int CheckMix()
    {
        var checker = _checker;
        var imei = _imei;
        var msisdn = _msisdn;
        var imsi = _imsi;
        var allowed = 0;
        for (var i = 0; i < imei.Length; i++)
        {
            if (checker.Check(imei[i], msisdn[i], imsi[i]).Decision.Verdict == Verdict.Allow)
            {
                allowed++;
            }
        }

        return allowed;
    }

    /// <summary>The mix with the events observer on: the common answers pass it, repeats stop at the node's dedupe. Must allocate 0 bytes.</summary>
    [Benchmark(OperationsPerInvoke = RequestCount)]
    public int CheckMixWithEvents()
    {
        var checker = _checkerWithEvents;
        var imei = _imei;
        var msisdn = _msisdn;
        var imsi = _imsi;
        var allowed = 0;
        for (var i = 0; i < imei.Length; i++)
        {
            if (checker.Check(imei[i], msisdn[i], imsi[i], ImeiEir.Core.Overload.CheckInterface.Grpc).Decision.Verdict == Verdict.Allow)
            {
                allowed++;
            }
        }

        return allowed;
    }

    /// <summary>What an MME sends for an ordinary phone: IMEI (any form) and IMSI, no MSISDN.</summary>
    [Benchmark(OperationsPerInvoke = RegisteredCount)]
    public int CheckRegisteredImsi()
    {
        var checker = _checker;
        var allowed = 0;
        for (var i = 0; i < _registeredImei.Length; i++)
        {
            if (checker.Check(_registeredImei[i], default, _registeredImsi[i]).Decision.Verdict == Verdict.Allow)
            {
                allowed++;
            }
        }

        return allowed;
    }
}
