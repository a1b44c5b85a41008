using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Policy;
using static ImeiEir.Core.Tests.Policy.VerdictWorld;

namespace ImeiEir.Core.Tests.Policy;

/// <summary>
/// Every rule of the verdict order (docs/domain.md), first rule that applies wins:
/// stolen → roaming → registered → bound → grace / switch required → amnesty → not registered.
/// Each row is asked of the world held in overlays and of the same world compacted into a snapshot.
/// </summary>
public class VerdictOrderTests : IClassFixture<VerdictWorld>
{
    private readonly VerdictWorld _world;

    public VerdictOrderTests(VerdictWorld world) => _world = world;

    private static string I(long key) => new ImeiKey(key).ToString();

    private static string I15(long key) => new ImeiKey(key).ToString15();

    private static string WrongCheckDigit(long key) => I(key) + (char)('0' + ((new ImeiKey(key).CheckDigit + 1) % 10));

    private const Verdict Allow = Verdict.Allow;
    private const Verdict Deny = Verdict.Deny;
    private const EquipmentStatus White = EquipmentStatus.Whitelisted;
    private const EquipmentStatus Black = EquipmentStatus.Blacklisted;
    private const EquipmentStatus Grey = EquipmentStatus.Greylisted;

    /// <summary>name, imei, msisdn, imsi → verdict, status, reason.</summary>
    private static readonly (string Name, string Imei, string Msisdn, string Imsi, Verdict Verdict, EquipmentStatus Status, Reason Reason)[] Rows =
    [
        // 2. Stolen beats everything: registered, bound, roaming.
        ("stolen registered, home number", I(StolenRegistered), Number1, "", Deny, Black, Reason.Stolen),
        ("stolen registered, no sim data", I(StolenRegistered), "", "", Deny, Black, Reason.Stolen),
        ("stolen registered, roaming imsi", I(StolenRegistered), "", ForeignImsi, Deny, Black, Reason.Stolen),
        ("stolen registered, foreign number only", I(StolenRegistered), ForeignNumber, "", Deny, Black, Reason.Stolen),
        ("stolen registered, test mcc imsi", I(StolenRegistered), "", TestMccImsi, Deny, Black, Reason.Stolen),
        ("stolen registered, as imeisv", "imeisv-" + I(StolenRegistered) + "03", NewNumber, "", Deny, Black, Reason.Stolen),
        ("stolen bound, bound number and imsi", I(StolenBound), Number1, Imsi1, Deny, Black, Reason.Stolen),
        ("stolen bound, roaming", I(StolenBound), ForeignNumber, ForeignImsi, Deny, Black, Reason.Stolen),

        // 3. Roaming: the IMSI's MCC decides; with no IMSI the number's country code; with neither, home.
        ("unknown, roaming imsi", I(Unknown), "", ForeignImsi, Allow, White, Reason.RoamingExempt),
        ("unknown, roaming imsi in supi form", I(Unknown), "", "imsi-" + ForeignImsi, Allow, White, Reason.RoamingExempt),
        ("unknown, test mcc 001 imsi", I(Unknown), "", TestMccImsi, Allow, White, Reason.RoamingExempt),
        ("unknown, foreign number, no imsi", I(Unknown), ForeignNumber, "", Allow, White, Reason.RoamingExempt),
        ("unknown, foreign number with plus", I(Unknown), "+" + ForeignNumber, "", Allow, White, Reason.RoamingExempt),
        ("unknown, foreign number, home imsi: imsi decides", I(Unknown), ForeignNumber, NewImsi, Deny, Black, Reason.NotRegistered),
        ("unknown, home number, foreign imsi: imsi decides", I(Unknown), NewNumber, ForeignImsi, Allow, White, Reason.RoamingExempt),
        ("bound, foreign imsi", I(Bound), "", ForeignImsi, Allow, White, Reason.RoamingExempt),
        ("clone, foreign number", I(Clone), ForeignNumber, "", Allow, White, Reason.RoamingExempt),
        ("null imei, foreign imsi", I(NullImei), "", ForeignImsi, Allow, White, Reason.RoamingExempt),

        // 4. Registered works with any SIM; a dual-SIM device's IMEIs are registered together.
        ("dual first imei, home number", I(DualA), Number1, "", Allow, White, Reason.Registered),
        ("dual second imei, new number and imsi", I(DualB), NewNumber, NewImsi, Allow, White, Reason.Registered),
        ("dual second imei, 15 digits", I15(DualB), "", "", Allow, White, Reason.Registered),
        ("dual first imei, imei- form", "imei-" + I15(DualA), "", NewImsi, Allow, White, Reason.Registered),
        ("dual second imei, imeisv- form", "imeisv-" + I(DualB) + "12", "", NewImsi, Allow, White, Reason.Registered),
        ("dual first imei, 16-digit imeisv", I(DualA) + "99", NewNumber, "", Allow, White, Reason.Registered),
        ("registered, wrong check digit on the network path", WrongCheckDigit(DualA), NewNumber, "", Allow, White, Reason.Registered),
        ("registered, no sim data", I(DualA), "", "", Allow, White, Reason.Registered),
        ("registered and bound, unbound number", I(RegisteredAndBound), NewNumber, "", Allow, White, Reason.Registered),
        ("stolen report cleared", I(Cleared), NewNumber, "", Allow, White, Reason.Registered),

        // 5. Bound: the number, the IMSI, or the number the IMSI maps to is on a binding.
        ("bound, bound number", I(Bound), Number1, "", Allow, White, Reason.BoundSubscriber),
        ("bound, bound number in national form", I(Bound), Number1[3..], "", Allow, White, Reason.BoundSubscriber),
        ("bound, bound number in msisdn- form", I(Bound), "msisdn-" + Number1, "", Allow, White, Reason.BoundSubscriber),
        ("bound, bound imsi only", I(Bound), "", Imsi1, Allow, White, Reason.BoundSubscriber),
        ("bound, bound imsi with a new number", I(Bound), NewNumber, Imsi1, Allow, White, Reason.BoundSubscriber),
        ("bound, bound number with a new imsi", I(Bound), Number1, NewImsi, Allow, White, Reason.BoundSubscriber),
        ("bound, imsi-only record", I(Bound), "", ImsiOnlyRecord, Allow, White, Reason.BoundSubscriber),
        ("bound, new sim mapped to the bound number", I(Bound), "", SwapImsi, Allow, White, Reason.BoundSubscriber),
        ("bound, new sim mapped, supi form", I15(Bound), "", "imsi-" + SwapImsi, Allow, White, Reason.BoundSubscriber),
        ("null imei, first number", "00000000000000", NullNumber(0), "", Allow, White, Reason.BoundSubscriber),
        ("null imei, last number", "000000000000000", NullNumber(NullBindings - 1), "", Allow, White, Reason.BoundSubscriber),
        ("null imei, imsi only", "imei-000000000000000", "", NullImsi(17), Allow, White, Reason.BoundSubscriber),
        ("null imei, as imeisv", "imeisv-0000000000000000", NullNumber(25), "", Allow, White, Reason.BoundSubscriber),
        ("clone, first number", I(Clone), CloneNumber(0), "", Allow, White, Reason.BoundSubscriber),
        ("clone, middle number", I(Clone), CloneNumber(CloneBindings / 2), "", Allow, White, Reason.BoundSubscriber),
        ("clone, last number", I(Clone), CloneNumber(CloneBindings - 1), "", Allow, White, Reason.BoundSubscriber),
        ("clone, imsi only, sorted imsi index", I(Clone), "", CloneImsi(1234), Allow, White, Reason.BoundSubscriber),
        ("clone, last imsi with a new number", I(Clone), NewNumber, CloneImsi(CloneBindings - 1), Allow, White, Reason.BoundSubscriber),
        ("clone, imsi mapped to a bound number", I(Clone), "", CloneMappedImsi, Allow, White, Reason.BoundSubscriber),

        // 6. Bound elsewhere: a new subscriber gets a grace; with nobody to match or mark, switch required.
        ("bound, new number", I(Bound), NewNumber, "", Allow, Grey, Reason.NumberSwitchGrace),
        ("bound, new unmapped imsi", I(Bound), "", NewImsi, Allow, Grey, Reason.NumberSwitchGrace),
        ("bound, imsi mapped to an unbound number", I(Bound), "", MappedImsi, Allow, Grey, Reason.NumberSwitchGrace),
        ("bound, imsi removed from the map", I(Bound), "", RemovedImsi, Allow, Grey, Reason.NumberSwitchGrace),
        ("null imei, new number", I(NullImei), NewNumber, "", Allow, Grey, Reason.NumberSwitchGrace),
        ("clone, new number and imsi", I(Clone), NewNumber, NewImsi, Allow, Grey, Reason.NumberSwitchGrace),
        ("clone, imsi near a bound one", I(Clone), "", "43705" + (1234L * 7 + 1).ToString("D10", System.Globalization.CultureInfo.InvariantCulture), Allow, Grey, Reason.NumberSwitchGrace),
        ("bound, no number and no imsi", I(Bound), "", "", Deny, Black, Reason.NumberSwitchRequired),
        ("clone, no number and no imsi", I(Clone), "", "", Deny, Black, Reason.NumberSwitchRequired),
        ("null imei, no number and no imsi", I(NullImei), "", "", Deny, Black, Reason.NumberSwitchRequired),

        // 8. Not registered: BLACKLISTED, not "unknown".
        ("unknown, home number", I(Unknown), NewNumber, "", Deny, Black, Reason.NotRegistered),
        ("unknown, home national number", I(Unknown), NewNumber[3..], "", Deny, Black, Reason.NotRegistered),
        ("unknown, home imsi", I(Unknown), "", NewImsi, Deny, Black, Reason.NotRegistered),
        ("unknown, no sim data", I(Unknown), "", "", Deny, Black, Reason.NotRegistered),
        ("unknown, bound number of another imei", I(Unknown), Number1, Imsi1, Deny, Black, Reason.NotRegistered),
        ("device unregistered", I(Unregistered), Number1, "", Deny, Black, Reason.NotRegistered),
        ("binding removed", I(Unbound), Number1, "", Deny, Black, Reason.NotRegistered),
    ];

    public static TheoryData<string, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var row in Rows)
            {
                data.Add(row.Name, false);
                data.Add(row.Name, true);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Check_Rule_GivesTheExpectedVerdict(string name, bool compacted)
    {
        var row = Rows.Single(r => r.Name == name);
        var harness = new PolicyHarness(compacted ? _world.Compacted : _world.Overlay);

        var result = harness.Check(row.Imei, row.Msisdn, row.Imsi);

        Assert.True(result.IsValid, result.ErrorMessage);
        Assert.Equal((row.Verdict, row.Status, row.Reason), (result.Decision.Verdict, result.Decision.Status, result.Decision.Reason));
        var expectedExpiry = row.Reason == Reason.NumberSwitchGrace ? PolicyHarness.Start.AddHours(72) : (DateTimeOffset?)null;
        Assert.Equal(expectedExpiry, result.Decision.GraceExpiresAt);
        Assert.Equal(row.Reason == Reason.NumberSwitchGrace ? 1 : 0, harness.Marks.Count);
        Assert.Empty(harness.Sink.Bound);
        Assert.Equal(row.Reason == Reason.NotRegistered, result.Decision.IsUnknownEquipment);
        Assert.Equal(5, result.Sequence);
    }

    [Fact]
    public void Rows_Names_AreUnique()
        => Assert.Equal(Rows.Length, Rows.Select(r => r.Name).Distinct().Count());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Check_CloneBoundToThousands_EveryNumberAndImsiIsBound(bool compacted)
    {
        var harness = new PolicyHarness(compacted ? _world.Compacted : _world.Overlay);
        var clone = I(Clone);

        for (var i = 0; i < CloneBindings; i += 7)
        {
            Assert.Equal(Reason.BoundSubscriber, harness.Decide(clone, CloneNumber(i)).Reason);
            Assert.Equal(Reason.BoundSubscriber, harness.Decide(clone, "", CloneImsi(i)).Reason);
        }

        Assert.Equal(0, harness.Marks.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Check_NullImeiBoundToManyNumbers_EachNumberBoundOthersInGrace(bool compacted)
    {
        var harness = new PolicyHarness(compacted ? _world.Compacted : _world.Overlay);

        for (var i = 0; i < NullBindings; i++)
        {
            Assert.Equal(Reason.BoundSubscriber, harness.Decide("00000000000000", NullNumber(i)).Reason);
            Assert.Equal(Reason.BoundSubscriber, harness.Decide("00000000000000", "", NullImsi(i)).Reason);
        }

        Assert.Equal(Reason.NumberSwitchGrace, harness.Decide("00000000000000", NullNumber(NullBindings)).Reason);
        Assert.Equal(Reason.NotRegistered, harness.Decide("00000000000001", NullNumber(0)).Reason);
    }
}
