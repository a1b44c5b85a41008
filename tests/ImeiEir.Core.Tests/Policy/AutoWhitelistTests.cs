using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Tests.Policy;

/// <summary>Rule 7: while the amnesty window is open an unknown IMEI is bound to its subscriber and allowed.</summary>
public class AutoWhitelistTests
{
    private const long Unknown = 35_999_999_000_001;
    private const long Registered = 35_290_611_000_001;
    private const long Stolen = 35_290_611_000_002;
    private const long Bound = 86_000_001_000_001;
    private const string Number = "996700200002";
    private const string Imsi = "437090000300003";
    private const string MappedImsi = "437051111111111";
    private const string MappedNumber = "996700999999";
    private static readonly DateTimeOffset Start = PolicyHarness.Start;
    private static readonly string UnknownText = PolicyHarness.Imei(Unknown);

    private static PolicyHarness NewHarness(DateTimeOffset? windowStart, DateTimeOffset? windowEnd)
    {
        var h = new PolicyHarness();
        h.Options.AutoWhitelist = new AutoWhitelistOptions { Start = windowStart, End = windowEnd };
        h.Apply(
            Mutation.Register(Registered),
            Mutation.Stolen(Stolen),
            Mutation.Bind(Bound, Ids.Msisdn("996700100001")),
            Mutation.Subscriber(Ids.Imsi(MappedImsi), Ids.Msisdn(MappedNumber)));
        return h;
    }

    private static PolicyHarness Open() => NewHarness(Start.AddDays(-1), Start.AddDays(1));

    public static TheoryData<string, string, long, long> Subscribers => new()
    {
        // msisdn, imsi → the binding the sink receives
        { Number, "", Ids.Msisdn(Number), 0 },
        { Number, Imsi, Ids.Msisdn(Number), Ids.Imsi(Imsi) },
        { Number[3..], Imsi, Ids.Msisdn(Number), Ids.Imsi(Imsi) },
        { "", Imsi, 0, Ids.Imsi(Imsi) },
        { "", MappedImsi, Ids.Msisdn(MappedNumber), Ids.Imsi(MappedImsi) },   // IMSI only: the map gives the number
        { Number, MappedImsi, Ids.Msisdn(Number), Ids.Imsi(MappedImsi) },      // the number sent wins
    };

    [Theory]
    [MemberData(nameof(Subscribers))]
    public void Check_WindowOpenUnknownImei_AllowsAutoWhitelistedAndBinds(string msisdn, string imsi, long boundMsisdn, long boundImsi)
    {
        var h = Open();

        var decision = h.Decide(UnknownText, msisdn, imsi);

        Assert.Equal(new Decision(Verdict.Allow, EquipmentStatus.Whitelisted, Reason.AutoWhitelisted, 0), decision);
        Assert.Equal([(Unknown, boundMsisdn, boundImsi)], h.Sink.Bound);
        Assert.Equal(0, h.Marks.Count);
    }

    [Fact]
    public void Check_WindowOpenNoNumberNoImsi_AllowsButBindsNothing()
    {
        var h = Open();

        Assert.Equal(Reason.AutoWhitelisted, h.Decide(UnknownText).Reason);
        Assert.Empty(h.Sink.Bound);
    }

    [Fact]
    public void Check_WindowOpenNoSink_StillAllows()
    {
        var h = Open();
        var checker = new EquipmentChecker(h.Index, h.Marks, h.Options, h.Time);

        Assert.Equal(Reason.AutoWhitelisted, checker.Check(UnknownText, Number, "").Decision.Reason);
    }

    public static TheoryData<TimeSpan, bool> WindowEdges => new()
    {
        // now relative to a window [Start, Start + 10 days)
        { TimeSpan.FromTicks(-1), false },
        { TimeSpan.FromDays(-30), false },
        { TimeSpan.Zero, true },                                      // start is inclusive
        { TimeSpan.FromDays(5), true },
        { TimeSpan.FromDays(10) - TimeSpan.FromTicks(1), true },
        { TimeSpan.FromDays(10), false },                             // end is exclusive
        { TimeSpan.FromDays(400), false },
    };

    [Theory]
    [MemberData(nameof(WindowEdges))]
    public void Check_UnknownImeiAroundTheWindow_AutoWhitelistedOnlyInside(TimeSpan now, bool open)
    {
        // The fake clock only moves forward: place the window so that the clock sits at 'now' in it.
        var h = NewHarness(Start - now, Start - now + TimeSpan.FromDays(10));

        var decision = h.Decide(UnknownText, Number);

        Assert.Equal(open ? Reason.AutoWhitelisted : Reason.NotRegistered, decision.Reason);
        Assert.Equal(open ? Verdict.Allow : Verdict.Deny, decision.Verdict);
        Assert.Equal(open ? EquipmentStatus.Whitelisted : EquipmentStatus.Blacklisted, decision.Status);
        Assert.Equal(open ? 1 : 0, h.Sink.Bound.Count);
    }

    [Fact]
    public void Check_NoWindowConfigured_NotRegistered()
    {
        var h = NewHarness(null, null);

        Assert.Equal(Reason.NotRegistered, h.Decide(UnknownText, Number).Reason);
        Assert.Empty(h.Sink.Bound);
    }

    [Theory]
    [InlineData(Registered, Number, "", Reason.Registered)]
    [InlineData(Stolen, Number, "", Reason.Stolen)]
    [InlineData(Unknown, "79161234567", "", Reason.RoamingExempt)]
    [InlineData(Unknown, "", "250011234567890", Reason.RoamingExempt)]
    [InlineData(Bound, Number, "", Reason.NumberSwitchGrace)]      // a bound IMEI is not re-bound: grace first
    [InlineData(Bound, "", "", Reason.NumberSwitchRequired)]
    [InlineData(Bound, "996700100001", "", Reason.BoundSubscriber)]
    public void Check_WindowOpenEarlierRuleApplies_EarlierRuleWinsAndNothingIsBound(long imei, string msisdn, string imsi, Reason expected)
    {
        var h = Open();

        Assert.Equal(expected, h.Decide(PolicyHarness.Imei(imei), msisdn, imsi).Reason);
        Assert.Empty(h.Sink.Bound);
    }
}
