using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Tests.Policy;

/// <summary>
/// Rule 6: a bound IMEI seen with a new subscriber keeps working for the grace (72 h by default) from the first
/// check of that (IMEI, subscriber) pair, GREYLISTED with the expiry; from the expiry on it is denied until a
/// NUMBER SWITCH. Time comes from a <c>FakeTimeProvider</c>.
/// </summary>
public class NumberSwitchGraceTests
{
    private const long Bound = 86_000_001_000_001;
    private const long OtherBound = 86_000_001_000_002;
    private const string OldNumber = "996700100001";
    private const string OldImsi = "437010000100001";
    private const string NewNumber = "996700200002";
    private const string SecondNewNumber = "996700300003";
    private const string NewImsi = "437090000300003";          // not in the subscriber map
    private const string MappedImsi = "437051111111111";       // the subscriber map says: NewNumber
    private static readonly DateTimeOffset Start = PolicyHarness.Start;
    private static readonly string BoundText = PolicyHarness.Imei(Bound);

    private static PolicyHarness NewHarness()
    {
        var h = new PolicyHarness();
        h.Apply(
            Mutation.Bind(Bound, Ids.Msisdn(OldNumber), Ids.Imsi(OldImsi)),
            Mutation.Bind(OtherBound, Ids.Msisdn(OldNumber)),
            Mutation.Subscriber(Ids.Imsi(MappedImsi), Ids.Msisdn(NewNumber)));
        return h;
    }

    [Fact]
    public void Check_FirstCheckWithNewNumber_StartsTheClockAndGreylistsFor72Hours()
    {
        var h = NewHarness();

        var decision = h.Decide(BoundText, NewNumber);

        Assert.Equal(new Decision(Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace, Start.AddHours(72).UtcTicks), decision);
        Assert.Equal(Start.AddHours(72), decision.GraceExpiresAt);
        Assert.True(h.Marks.TryGet(Bound, SubscriberKey.FromMsisdn(Ids.Msisdn(NewNumber)), out var first));
        Assert.Equal(Start.UtcTicks, first);
        Assert.Equal(1, h.Marks.Count);
    }

    public static TheoryData<TimeSpan, bool> Elapsed => new()
    {
        // time since the first check, still in grace
        { TimeSpan.Zero, true },
        { TimeSpan.FromTicks(1), true },
        { TimeSpan.FromHours(24), true },
        { TimeSpan.FromHours(71) + TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(59), true },
        { TimeSpan.FromHours(72) - TimeSpan.FromTicks(1), true },
        { TimeSpan.FromHours(72), false },
        { TimeSpan.FromHours(72) + TimeSpan.FromTicks(1), false },
        { TimeSpan.FromDays(4), false },
        { TimeSpan.FromDays(365), false },
    };

    [Theory]
    [MemberData(nameof(Elapsed))]
    public void Check_LaterCheckWithTheSameNumber_GreylistedUntilExpiryThenNumberSwitchRequired(TimeSpan elapsed, bool inGrace)
    {
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);

        h.Time.Advance(elapsed);
        var decision = h.Decide(BoundText, NewNumber);

        var expected = inGrace
            ? new Decision(Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace, Start.AddHours(72).UtcTicks)
            : new Decision(Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NumberSwitchRequired, 0);
        Assert.Equal(expected, decision);
        Assert.Equal(1, h.Marks.Count);
    }

    [Fact]
    public void Check_RepeatedChecks_DoNotMoveTheClock()
    {
        var h = NewHarness();

        foreach (var hours in new[] { 0, 10, 30, 71 })
        {
            h.Time.SetUtcNow(Start.AddHours(hours));
            Assert.Equal(Start.AddHours(72), h.Decide(BoundText, NewNumber).GraceExpiresAt);
        }

        h.Time.SetUtcNow(Start.AddHours(72));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);
    }

    [Fact]
    public void Check_SecondNewNumber_GetsItsOwnClock()
    {
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);                                   // clock A starts at Start
        h.Time.Advance(TimeSpan.FromHours(48));
        var second = h.Decide(BoundText, SecondNewNumber);                // clock B starts at Start + 48 h

        Assert.Equal(Start.AddHours(48 + 72), second.GraceExpiresAt);

        h.Time.SetUtcNow(Start.AddHours(72));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);
        Assert.Equal(Reason.NumberSwitchGrace, h.Decide(BoundText, SecondNewNumber).Reason);
        Assert.Equal(Reason.BoundSubscriber, h.Decide(BoundText, OldNumber).Reason);

        h.Time.SetUtcNow(Start.AddHours(48 + 72));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, SecondNewNumber).Reason);
        Assert.Equal(2, h.Marks.Count);
    }

    [Fact]
    public void Check_SameNewNumberWithTwoBoundImeis_EachPairHasItsOwnClock()
    {
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);
        h.Time.Advance(TimeSpan.FromHours(70));

        var other = h.Decide(PolicyHarness.Imei(OtherBound), NewNumber);

        Assert.Equal(Start.AddHours(70 + 72), other.GraceExpiresAt);
        h.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);
        Assert.Equal(Reason.NumberSwitchGrace, h.Decide(PolicyHarness.Imei(OtherBound), NewNumber).Reason);
    }

    [Fact]
    public void Check_ImsiMappedToTheNewNumber_SharesTheNumbersClock()
    {
        // 4G sends only the IMSI, 5G may send the number: both are the same subscriber through the map.
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);
        h.Time.Advance(TimeSpan.FromHours(71));

        Assert.Equal(Start.AddHours(72), h.Decide(BoundText, "", MappedImsi).GraceExpiresAt);
        h.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, "", MappedImsi).Reason);
        Assert.Equal(1, h.Marks.Count);
    }

    [Fact]
    public void Check_UnmappedImsiOnly_KeysTheClockByImsi()
    {
        var h = NewHarness();

        var decision = h.Decide(BoundText, "", NewImsi);

        Assert.Equal(Start.AddHours(72), decision.GraceExpiresAt);
        Assert.True(h.Marks.TryGet(Bound, SubscriberKey.FromImsi(Ids.Imsi(NewImsi)), out var first));
        Assert.Equal(Start.UtcTicks, first);
    }

    [Fact]
    public void Check_ConfiguredGrace_IsUsedInsteadOf72Hours()
    {
        var h = NewHarness();
        h.Options.NumberSwitchGrace = TimeSpan.FromHours(1);

        Assert.Equal(Start.AddHours(1), h.Decide(BoundText, NewNumber).GraceExpiresAt);
        h.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(Reason.NumberSwitchGrace, h.Decide(BoundText, NewNumber).Reason);
        h.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);
    }

    [Fact]
    public void Check_EarlierFirstSeenLearntFromAnotherNode_Wins()
    {
        // The grace is kept cluster-wide: a node that merges an earlier first-seen time must use it.
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);
        var subscriber = SubscriberKey.FromMsisdn(Ids.Msisdn(NewNumber));

        Assert.Equal(Start.AddHours(-10).UtcTicks, h.Marks.Merge(Bound, subscriber, Start.AddHours(-10).UtcTicks));
        Assert.Equal(Start.AddHours(-10).UtcTicks, h.Marks.Merge(Bound, subscriber, Start.AddHours(5).UtcTicks));

        Assert.Equal(Start.AddHours(62), h.Decide(BoundText, NewNumber).GraceExpiresAt);
        h.Time.Advance(TimeSpan.FromHours(62));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);
    }

    [Fact]
    public void Check_BoundImeiWithNoNumberAndNoImsi_DeniesWithoutAGraceMark()
    {
        var h = NewHarness();

        var decision = h.Decide(BoundText);

        Assert.Equal(new Decision(Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NumberSwitchRequired, 0), decision);
        Assert.Equal(0, h.Marks.Count);
    }

    [Theory]
    [InlineData("996700100001", "")]                 // bound number
    [InlineData("", "437010000100001")]              // bound IMSI
    [InlineData("79161234567", "")]                  // roaming
    [InlineData("", "250011234567890")]              // roaming
    public void Check_RulesOtherThanGrace_LeaveNoGraceMark(string msisdn, string imsi)
    {
        var h = NewHarness();
        h.Apply(Mutation.Register(35_290_611_000_001), Mutation.Stolen(35_290_611_000_002));

        h.Decide(BoundText, msisdn, imsi);
        h.Decide(PolicyHarness.Imei(35_290_611_000_001), NewNumber);
        h.Decide(PolicyHarness.Imei(35_290_611_000_002), NewNumber);
        h.Decide(PolicyHarness.Imei(35_290_611_000_003), NewNumber);

        Assert.Equal(0, h.Marks.Count);
    }

    [Fact]
    public void Check_SwitchApplied_NewNumberBoundAfterItsGraceAndOldNumberNoLonger()
    {
        var h = NewHarness();
        h.Decide(BoundText, NewNumber);
        h.Time.Advance(TimeSpan.FromHours(100));
        Assert.Equal(Reason.NumberSwitchRequired, h.Decide(BoundText, NewNumber).Reason);

        // What a NUMBER SWITCH resolves to: the old records go, the new number is bound.
        h.Apply(Mutation.Unbind(Bound, Ids.Msisdn(OldNumber), Ids.Imsi(OldImsi)), Mutation.Bind(Bound, Ids.Msisdn(NewNumber)));

        Assert.Equal(Reason.BoundSubscriber, h.Decide(BoundText, NewNumber).Reason);
        Assert.Equal(Reason.BoundSubscriber, h.Decide(BoundText, "", MappedImsi).Reason);
        Assert.NotEqual(Reason.BoundSubscriber, h.Decide(BoundText, OldNumber).Reason);
        Assert.NotEqual(Reason.BoundSubscriber, h.Decide(BoundText, "", OldImsi).Reason);
    }

    [Theory]
    [InlineData(996700200002, 0, 0, 996700200002, false)]
    [InlineData(996700200002, 996700999999, 437L, 996700200002, false)]   // the number sent wins over the map
    [InlineData(0, 996700999999, 437L, 996700999999, false)]              // IMSI only, mapped: its number
    [InlineData(0, 0, 437L, 437L, true)]                                  // IMSI only, unmapped: the IMSI
    public void GraceSubscriber_Input_PicksNumberThenMappedNumberThenImsi(long msisdn, long mapped, long imsiKey, long expectedValue, bool isImsi)
    {
        var key = VerdictPolicy.GraceSubscriber(new CheckInput(1, msisdn, imsiKey), mapped);

        Assert.Equal(isImsi, key.IsImsi);
        Assert.Equal(isImsi ? expectedValue : 0, key.Imsi);
        Assert.Equal(isImsi ? 0 : expectedValue, key.Msisdn);
    }

    [Fact]
    public void SubscriberKey_SameDigitsAsImsiAndAsNumber_NeverCollide()
    {
        var imsi = Ids.Imsi("437010000100001");

        Assert.NotEqual(SubscriberKey.FromImsi(imsi), SubscriberKey.FromMsisdn(imsi));
        Assert.Equal(imsi, SubscriberKey.FromImsi(imsi).Imsi);
    }
}
