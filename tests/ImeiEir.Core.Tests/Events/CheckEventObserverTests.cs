using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Tests.Policy;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Core.Tests.Events;

/// <summary>
/// Which checks raise which events on the check path, and how often (the node's own dedupe; the cluster-wide one
/// is tested in the server tests): each kind at its rule, with a fake clock for the windows.
/// </summary>
public sealed class CheckEventObserverTests
{
    private const string Registered = "49015420323751";
    private const string Bound = "86000001000001";
    private const string Stolen = "35693803564380";
    private const string Unknown = "35999999000001";
    private const string BoundNumber = "996700111111";
    private const string NewNumber = "996700999999";
    private const string HomeImsi = "437010000000001";

    private static readonly TimeSpan NotRegisteredEvery = TimeSpan.FromDays(7);
    private static readonly TimeSpan StolenSeenEvery = TimeSpan.FromHours(1);

    private sealed class World
    {
        public World(int queueCapacity = 1024, bool clones = true)
        {
            H.Apply(
                Mutation.Register(49015420323751),
                Mutation.Register(35693803564380),
                Mutation.Stolen(35693803564380),
                Mutation.Bind(86000001000001, Ids.Msisdn(BoundNumber), 0));
            Queue = new EventQueue(queueCapacity);
            var windows = new EventWindows(TimeSpan.FromDays(30), NotRegisteredEvery, StolenSeenEvery, TimeSpan.FromDays(1));
            Observer = new CheckEventObserver(windows, Queue, new RecentEvents(1024), clones ? new ImsiSightings(1024) : null, 437);
            H.Checker.Observer = Observer;
        }

        public PolicyHarness H { get; } = new();

        public EventQueue Queue { get; }

        public CheckEventObserver Observer { get; }

        public void Check(string imei, string msisdn = "", string imsi = "", CheckInterface? via = CheckInterface.Grpc)
            => Assert.True(H.Checker.Check(imei, msisdn, imsi, via).IsValid);

        public List<Observation> Drain()
        {
            var list = new List<Observation>();
            while (Queue.Reader.TryRead(out var o))
            {
                list.Add(o);
            }

            return list;
        }
    }

    [Fact]
    public void CommonAnswers_QueueNothing()
    {
        var w = new World();

        w.Check(Registered, NewNumber, HomeImsi);
        w.Check(Bound, BoundNumber);
        w.Check(Unknown, "", "250011234567890"); // roaming

        Assert.Empty(w.Drain());
    }

    [Fact]
    public void GraceStarted_FirstGraceCheckOnly_CarriesExpiryAndInterface()
    {
        var w = new World();

        w.Check(Bound, NewNumber, via: CheckInterface.N5gEir);
        w.Check(Bound, NewNumber);
        w.H.Time.Advance(TimeSpan.FromHours(30));
        w.Check(Bound, NewNumber);

        var e = Assert.Single(w.Drain());
        Assert.Equal(EventKind.GraceStarted, e.Kind);
        Assert.Equal(86000001000001, e.Imei);
        Assert.Equal(Ids.Msisdn(NewNumber), e.Msisdn);
        Assert.Equal((PolicyHarness.Start + w.H.Options.NumberSwitchGrace).UtcTicks, e.GraceExpiresTicks);
        Assert.Equal(CheckInterface.N5gEir, e.Via);
    }

    [Fact]
    public void SwitchRequired_FirstDenyAfterGrace_OncePerPair()
    {
        var w = new World();
        w.Check(Bound, NewNumber);
        w.Drain();

        w.H.Time.Advance(w.H.Options.NumberSwitchGrace);
        w.Check(Bound, NewNumber);
        w.Check(Bound, NewNumber);
        w.H.Time.Advance(TimeSpan.FromDays(7));
        w.Check(Bound, NewNumber);

        var e = Assert.Single(w.Drain());
        Assert.Equal(EventKind.SwitchRequired, e.Kind);
        Assert.Equal(0, e.GraceExpiresTicks);
    }

    [Fact]
    public void NotRegistered_OncePerPairPerWindow()
    {
        var w = new World();

        w.Check(Unknown, NewNumber);
        w.Check(Unknown, NewNumber);
        w.Check(Unknown, BoundNumber);                 // another subscriber: its own event
        w.H.Time.Advance(NotRegisteredEvery - TimeSpan.FromSeconds(1));
        w.Check(Unknown, NewNumber);                   // still inside the window
        w.H.Time.Advance(TimeSpan.FromSeconds(1));
        w.Check(Unknown, NewNumber);                   // a new window

        var events = w.Drain();
        Assert.Equal([EventKind.NotRegistered, EventKind.NotRegistered, EventKind.NotRegistered], events.Select(e => e.Kind));
        Assert.Equal([Ids.Msisdn(NewNumber), Ids.Msisdn(BoundNumber), Ids.Msisdn(NewNumber)], events.Select(e => e.Msisdn));
    }

    [Fact]
    public void StolenSeen_AtMostOncePerPairPerHour_EvenWithoutSubscriber()
    {
        var w = new World();

        w.Check(Stolen, NewNumber, via: CheckInterface.S13);
        w.H.Time.Advance(TimeSpan.FromMinutes(59));
        w.Check(Stolen, NewNumber);
        w.Check(Stolen);                                // nobody: still the police's business
        w.H.Time.Advance(TimeSpan.FromMinutes(1));
        w.Check(Stolen, NewNumber);

        var events = w.Drain();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal(EventKind.StolenSeen, e.Kind));
        Assert.Equal(CheckInterface.S13, events[0].Via);
        Assert.Equal(0, events[1].Msisdn);
    }

    [Fact]
    public void AutoWhitelisted_EachAmnestyBinding()
    {
        var w = new World();
        w.H.Options.AutoWhitelist.Start = PolicyHarness.Start.AddDays(-1);
        w.H.Options.AutoWhitelist.End = PolicyHarness.Start.AddDays(1);

        w.Check(Unknown, NewNumber);
        w.Check(Unknown); // nothing bound: no event

        var e = Assert.Single(w.Drain());
        Assert.Equal(EventKind.AutoWhitelisted, e.Kind);
        Assert.Single(w.H.Sink.Bound);
    }

    [Fact]
    public void CloneCandidate_NullImei_NeverACandidate()
    {
        var w = new World();

        // The null IMEI is shared by design (amnesty bound it to many numbers): many home IMSIs are no clone signal.
        w.Check("00000000000000", "", "437010000000001");
        w.Check("00000000000000", "", "437050000000002");
        w.Check("000000000000000", "", "437090000000003");

        Assert.DoesNotContain(w.Drain(), e => e.Kind == EventKind.CloneSuspected);
    }

    [Fact]
    public void CloneCandidate_SecondHomeImsiOfAnImei_OncePerImsi()
    {
        var w = new World();

        w.Check(Registered, "", "437010000000001");
        w.Check(Registered, "", "437010000000001");
        w.Check(Registered, "", "437050000000002");
        w.Check(Registered, "", "437050000000002");
        w.Check(Registered, "", "250011234567890"); // roaming SIMs do not count
        w.Check(Registered, "", "437090000000003");

        var events = w.Drain();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(EventKind.CloneSuspected, e.Kind));
        Assert.All(events, e => Assert.Equal(Ids.Imsi("437010000000001"), e.OtherImsiKey));
        Assert.Equal([Ids.Imsi("437050000000002"), Ids.Imsi("437090000000003")], events.Select(e => e.ImsiKey));
    }

    [Fact]
    public void FullQueue_DropsAndCounts_OfferedAgainLater()
    {
        var w = new World(queueCapacity: 1);

        w.Check(Unknown, NewNumber);
        w.Check(Unknown, BoundNumber);   // dropped: the queue holds one
        Assert.Equal(1, w.Queue.Dropped);
        w.Drain();
        w.Check(Unknown, BoundNumber);   // not remembered as raised: offered again

        var e = Assert.Single(w.Drain());
        Assert.Equal(Ids.Msisdn(BoundNumber), e.Msisdn);
    }

    [Fact]
    public void Check_WithObserver_AllocatesNothing()
    {
        var w = new World();
        (string Imei, string Msisdn, string Imsi)[] requests =
        [
            (Registered, NewNumber, HomeImsi),     // registered, IMSI sighted
            (Bound, BoundNumber, ""),              // bound
            (Bound, NewNumber, ""),                // grace: raised once, then a repeat
            (Unknown, NewNumber, ""),              // not registered: raised once, then a repeat
            (Stolen, NewNumber, HomeImsi),         // stolen
            (Unknown, "", "250011234567890"),      // roaming
        ];
        foreach (var (imei, msisdn, imsi) in requests)
        {
            for (var i = 0; i < 100; i++)
            {
                w.Check(imei, msisdn, imsi);
            }
        }

        Assert.NotEmpty(w.Drain());
        foreach (var (imei, msisdn, imsi) in requests)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                w.Check(imei, msisdn, imsi);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public async Task Offer_NewPairsWhileThePublisherWaits_AllocatesNothing()
    {
        var w = new World(queueCapacity: 1 << 16, clones: false);
        using var stop = new CancellationTokenSource();
        var drained = 0L;
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in w.Queue.Reader.ReadAllAsync(stop.Token))
                {
                    Interlocked.Increment(ref drained);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var input = new CheckInput(35999999000001, 0, 0);
        var decision = new Decision(Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NotRegistered, 0);
        for (var i = 0; i < 20_000; i++)
        {
            w.Observer.OnChecked(input with { Msisdn = 996_700_000_000 + i }, in decision, CheckInterface.Grpc, w.H.Time.GetUtcNow().UtcTicks);
        }

        var least = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                w.Observer.OnChecked(input with { Msisdn = 996_701_000_000 + (round * 1000) + i }, in decision, CheckInterface.Grpc, w.H.Time.GetUtcNow().UtcTicks);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        await Eventually.TrueAsync(() => Interlocked.Read(ref drained) == 23_000, "every observation read");
        await stop.CancelAsync();
        await reader;
        Assert.Equal(0, least);
        Assert.Equal(0, w.Queue.Dropped);
    }
}
