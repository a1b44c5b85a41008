using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Core.Tests.Policy;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>Registry deltas planned into index mutations, applied, then checked through the verdict order.</summary>
public class BatchPlannerTests
{
    private const string ImeiA = "490154203237518";          // valid check digit
    private const string ImeiB = "356938035643809";
    private const string ImeiC = "352099001761481";
    private const long KeyA = 49015420323751;
    private const long KeyB = 35693803564380;
    private const string OldNumber = "996700100001";
    private const string OldImsi = "437010000100001";
    private const string NewNumber = "996700200002";
    private const string NewSimImsi = "437050000200002";

    private readonly PolicyHarness _h = new();
    private readonly InMemoryDeviceDirectory _devices = new();
    private readonly BatchPlanner _planner = new(new PolicyOptions());

    private BatchPlan Plan(params RegistryDelta[] deltas) => _planner.Plan(deltas, _h.Index.Current, _devices);

    /// <summary>Plans and applies a batch that must be valid.</summary>
    private BatchPlan Commit(params RegistryDelta[] deltas)
    {
        var plan = Plan(deltas);
        Assert.True(plan.IsValid, string.Join("; ", plan.Errors));
        Apply(plan);
        return plan;
    }

    private void Apply(BatchPlan plan)
    {
        _h.Apply([.. plan.Mutations]);
        _devices.Apply(plan);
        foreach (var (imei, subscriber) in plan.GraceMarksConsumed)
        {
            _h.Marks.Remove(imei, subscriber);
        }
    }

    [Fact]
    public void Plan_DualImeiDevice_RegistersBothImeisTogether()
    {
        var plan = Commit(new RegisterDeviceDelta("dev-1", [ImeiA, "35693803564380"]));

        Assert.Equal([Mutation.Register(KeyA), Mutation.Register(KeyB)], plan.Mutations);
        Assert.Equal("dev-1", Assert.Single(plan.DevicesAdded).DeviceId);
        Assert.Equal(Reason.Registered, _h.Decide(ImeiA, NewNumber).Reason);
        Assert.Equal(Reason.Registered, _h.Decide("imeisv-3569380356438001", "", NewSimImsi).Reason);
        Assert.Equal(2, _h.Index.Current.Counts.RegisteredImeis);
    }

    [Fact]
    public void Plan_UnregisterDevice_RemovesEveryImei()
    {
        Commit(new RegisterDeviceDelta("dev-1", [ImeiA, ImeiB]));

        var plan = Commit(new UnregisterDeviceDelta("dev-1"));

        Assert.Equal([Mutation.Unregister(KeyA), Mutation.Unregister(KeyB)], plan.Mutations);
        Assert.Equal(Reason.NotRegistered, _h.Decide(ImeiB, NewNumber).Reason);
        Assert.Equal(0, _devices.Count);
    }

    [Fact]
    public void Plan_SameDeviceRegisteredAgain_IsANoOp()
    {
        Commit(new RegisterDeviceDelta("dev-1", [ImeiA, ImeiB]));

        var plan = Plan(new RegisterDeviceDelta("dev-1", [ImeiB, ImeiA]));

        Assert.True(plan.IsValid);
        Assert.Empty(plan.Mutations);
    }

    public static TheoryData<RegistryDelta, string> BadDeltas => new()
    {
        { new RegisterDeviceDelta("dev-1", [ImeiA, "490154203237519"]), "register_device.imeis[1] has a wrong check digit" },
        { new RegisterDeviceDelta("dev-1", ["4901542032375107"]), "register_device.imeis[0] is an IMEISV" },
        { new RegisterDeviceDelta("dev-1", [ImeiA, "49015420323751"]), "register_device.imeis[1] repeats an IMEI" },
        { new RegisterDeviceDelta("dev-1", []), "register_device.imeis is empty" },
        { new RegisterDeviceDelta(" ", [ImeiA]), "register_device.device_id is empty" },
        { new RegisterDeviceDelta(new string('d', 129), [ImeiA]), "register_device.device_id is longer than 128" },
        { new RegisterDeviceDelta("dev\n1", [ImeiA]), "register_device.device_id contains a control character" },
        { new UnregisterDeviceDelta("nobody"), "unregister_device.device_id is not a registered device" },
        { new BindDelta("", OldNumber, ""), "bind.imei is empty" },
        { new BindDelta(ImeiA, "", ""), "bind.msisdn is empty" },
        { new BindDelta(ImeiA, "0700100001", ""), "bind.msisdn must not start with 0" },
        { new BindDelta(ImeiA, OldNumber, "4370"), "bind.imsi must have 5 to 15 digits" },
        { new UnbindDelta(ImeiA, OldNumber, ""), "unbind: no binding" },
        { new ReportStolenDelta("mac-001122334455", "case-1"), "report_stolen.imei is a PEI type other than" },
        { new ReportStolenDelta(ImeiA, ""), "report_stolen.case_reference is empty" },
        { new ClearStolenDelta(ImeiA), "clear_stolen.imei is not reported stolen" },
        { new UpsertSubscriberDelta("43701", "abc"), "upsert_subscriber.msisdn must be E.164 digits" },
        { new UpsertSubscriberDelta("4370101234567890", OldNumber), "upsert_subscriber.imsi must have 5 to 15 digits" },
        { new RemoveSubscriberDelta(OldImsi), "remove_subscriber.imsi is not in the subscriber map" },
        { new SwitchNumberDelta(OldNumber, NewNumber, ""), "switch_number.imei is required in a registry batch" },
        { new SwitchNumberDelta(OldNumber, OldNumber[3..], ImeiA), "switch_number.new_msisdn is the same number" },
        { new SwitchNumberDelta("12", NewNumber, ImeiA), "switch_number.previous_msisdn must be the 9-digit" },
        { new SwitchNumberDelta(OldNumber, NewNumber, ImeiA), "switch_number.imei is not bound to previous_msisdn" },
    };

    [Theory]
    [MemberData(nameof(BadDeltas))]
    public void Plan_BadDelta_RefusedNamingTheField(RegistryDelta delta, string message)
    {
        var plan = Plan(delta);

        Assert.False(plan.IsValid);
        var error = Assert.Single(plan.Errors);
        Assert.Equal(0, error.Index);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Empty(plan.Mutations);
    }

    [Fact]
    public void Plan_SomeDeltasBad_ListsEveryErrorAndPlansNothing()
    {
        var plan = Plan(
            new RegisterDeviceDelta("dev-1", [ImeiA]),
            new BindDelta(ImeiB, "bad", ""),
            new ReportStolenDelta(ImeiC, "case-9"),
            new ClearStolenDelta(ImeiB),
            null!);

        Assert.False(plan.IsValid);
        Assert.Equal([1, 3, 4], plan.Errors.Select(e => e.Index));
        Assert.Empty(plan.Mutations);
        Assert.Empty(plan.DevicesAdded);
        Assert.Empty(plan.StolenCases);
    }

    [Fact]
    public void Plan_LaterDeltas_SeeEarlierDeltasOfTheSameBatch()
    {
        var plan = Commit(
            new BindDelta(ImeiA, OldNumber, OldImsi),
            new UnbindDelta(ImeiA, OldNumber, OldImsi),
            new ReportStolenDelta(ImeiB, "case-1"),
            new ClearStolenDelta(ImeiB),
            new UpsertSubscriberDelta(NewSimImsi, OldNumber),
            new RemoveSubscriberDelta(NewSimImsi),
            new RegisterDeviceDelta("dev-1", [ImeiC]),
            new UnregisterDeviceDelta("dev-1"));

        Assert.Equal(new EirCounts(0, 0, 0, 0), _h.Index.Current.Counts);
        Assert.Equal([(KeyB, "case-1"), (KeyB, null)], plan.StolenCases);
    }

    [Fact]
    public void Plan_ImeiOfAnotherDevice_Refused()
    {
        Commit(new RegisterDeviceDelta("dev-1", [ImeiA]));

        var plan = Plan(new RegisterDeviceDelta("dev-2", [ImeiB, ImeiA]));

        Assert.Equal("register_device.imeis[1] is already registered to another device", Assert.Single(plan.Errors).Message);
    }

    [Fact]
    public void Plan_StolenReport_BeatsRegistrationAndRoaming()
    {
        Commit(new RegisterDeviceDelta("dev-1", [ImeiA]), new ReportStolenDelta(ImeiA, "case-1"));

        Assert.Equal(Reason.Stolen, _h.Decide(ImeiA, OldNumber).Reason);
        Assert.Equal(Reason.Stolen, _h.Decide(ImeiA, "", "250011234567890").Reason);

        Commit(new ClearStolenDelta(ImeiA));
        Assert.Equal(Reason.Registered, _h.Decide(ImeiA, OldNumber).Reason);
    }

    [Fact]
    public void Plan_UpsertSubscriber_ResolvesImsiOnlyRequestsThroughTheMap()
    {
        Commit(new BindDelta(ImeiA, OldNumber, OldImsi));
        Assert.Equal(Reason.NumberSwitchGrace, _h.Decide(ImeiA, "", NewSimImsi).Reason);

        var plan = Commit(new UpsertSubscriberDelta("imsi-" + NewSimImsi, OldNumber[3..]));

        Assert.Equal([Mutation.Subscriber(Ids.Imsi(NewSimImsi), Ids.Msisdn(OldNumber))], plan.Mutations);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide(ImeiA, "", NewSimImsi).Reason);

        Commit(new RemoveSubscriberDelta(NewSimImsi));
        Assert.Equal(Reason.NumberSwitchGrace, _h.Decide(ImeiA, "", NewSimImsi).Reason);
    }

    [Fact]
    public void Plan_SwitchWithImei_MovesTheImeiToTheNewNumberOnly()
    {
        Commit(new BindDelta(ImeiA, OldNumber, OldImsi), new BindDelta(ImeiA, OldNumber, ""), new BindDelta(ImeiA, "996700300003", ""));
        _h.Decide(ImeiA, NewNumber);
        _h.Time.Advance(TimeSpan.FromHours(100));
        Assert.Equal(Reason.NumberSwitchRequired, _h.Decide(ImeiA, NewNumber).Reason);

        var plan = Commit(new SwitchNumberDelta("+" + OldNumber, NewNumber[3..], "imei-" + ImeiA));

        Assert.Equal(
            [Mutation.Unbind(KeyA, Ids.Msisdn(OldNumber)), Mutation.Unbind(KeyA, Ids.Msisdn(OldNumber), Ids.Imsi(OldImsi)), Mutation.Bind(KeyA, Ids.Msisdn(NewNumber))],
            plan.Mutations);
        Assert.Equal([KeyA], plan.SwitchedImeis);
        Assert.Equal([(KeyA, SubscriberKey.FromMsisdn(Ids.Msisdn(NewNumber)))], plan.GraceMarksConsumed);
        Assert.Equal(0, _h.Marks.Count);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide(ImeiA, NewNumber).Reason);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide(ImeiA, "996700300003").Reason);   // other bindings stay
        Assert.NotEqual(Reason.BoundSubscriber, _h.Decide(ImeiA, OldNumber).Reason);
        Assert.NotEqual(Reason.BoundSubscriber, _h.Decide(ImeiA, "", OldImsi).Reason);
    }

    [Fact]
    public void PlanSwitch_WithoutImei_MovesEveryImeiOfThePreviousNumberSeenWithTheNewOne()
    {
        // Two IMEIs bound to the old number and checked with the new one, a third bound elsewhere also checked
        // with it, a fourth bound to the old number but never seen with the new one.
        Commit(
            new BindDelta(ImeiA, OldNumber, ""),
            new BindDelta(ImeiB, OldNumber, ""),
            new BindDelta(ImeiC, "996700300003", ""),
            new BindDelta("86000001000001", OldNumber, ""));
        _h.Decide(ImeiA, NewNumber);
        _h.Decide(ImeiB, NewNumber);
        _h.Decide(ImeiC, NewNumber);

        var plan = _planner.PlanSwitch(new SwitchNumberDelta(OldNumber, NewNumber, ""), _h.Index.Current, _h.Marks, _h.Time.GetUtcNow().UtcTicks);
        Assert.True(plan.IsValid, string.Join("; ", plan.Errors));
        Apply(plan);

        Assert.Equal([KeyB, KeyA], plan.SwitchedImeis);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide(ImeiA, NewNumber).Reason);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide(ImeiB, NewNumber).Reason);
        Assert.Equal(Reason.NumberSwitchGrace, _h.Decide(ImeiC, NewNumber).Reason);
        Assert.Equal(Reason.BoundSubscriber, _h.Decide("86000001000001", OldNumber).Reason);
        Assert.Equal(1, _h.Marks.Count);
    }

    [Fact]
    public void PlanSwitch_MarksOlderThanRetention_FindsNothing()
    {
        Commit(new BindDelta(ImeiA, OldNumber, ""));
        _h.Decide(ImeiA, NewNumber);
        _h.Time.Advance(TimeSpan.FromDays(31));

        var plan = _planner.PlanSwitch(new SwitchNumberDelta(OldNumber, NewNumber, ""), _h.Index.Current, _h.Marks, _h.Time.GetUtcNow().UtcTicks);

        Assert.Equal("switch_number: no IMEI bound to previous_msisdn was used with new_msisdn", Assert.Single(plan.Errors).Message);
    }

    [Fact]
    public void ReleaseDeviceChanges_AfterTheDirectoryHasThem_EmptiesThePlansDeviceCollectionsOnly()
    {
        var plan = Commit(new RegisterDeviceDelta("device-1", [ImeiA, ImeiB]), new BindDelta(ImeiC, OldNumber, OldImsi));
        var mutations = plan.Mutations.Count;

        plan.ReleaseDeviceChanges();

        Assert.Empty(plan.DeviceChanges);
        Assert.Empty(plan.OwnerChanges);
        Assert.Empty(plan.DevicesAdded);
        Assert.Equal(mutations, plan.Mutations.Count);
        Assert.True(_devices.TryGetDevice("device-1", out var imeis));
        Assert.Equal([KeyB, KeyA], imeis.Order());
    }
}
