using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Tests.Policy;

public class EquipmentCheckerTests
{
    private const string GoodImei = "490154203237518";
    private const string GoodNumber = "996700123456";
    private const string GoodImsi = "437010123456789";

    public static TheoryData<string, string, string, CheckField, ParseStatus> Malformed => new()
    {
        // Rule 1: malformed input is an error naming the field, never a verdict.
        { "", GoodNumber, GoodImsi, CheckField.Imei, ParseStatus.Empty },
        { "4901542032375", GoodNumber, GoodImsi, CheckField.Imei, ParseStatus.WrongLength },
        { "49015420323751800", GoodNumber, GoodImsi, CheckField.Imei, ParseStatus.WrongLength },
        { "4901542032375x8", GoodNumber, GoodImsi, CheckField.Imei, ParseStatus.NotDigits },
        { "mac-001122334455", GoodNumber, GoodImsi, CheckField.Imei, ParseStatus.UnsupportedPeiType },
        { "eui-0011223344556677", "", "", CheckField.Imei, ParseStatus.UnsupportedPeiType },
        { "imeisv-490154203237518", "", "", CheckField.Imei, ParseStatus.WrongLength },
        { "4901542032375x8", "bad", "bad", CheckField.Imei, ParseStatus.NotDigits },   // the IMEI is checked first
        { GoodImei, "+", GoodImsi, CheckField.Msisdn, ParseStatus.WrongLength },
        { GoodImei, "12345678", GoodImsi, CheckField.Msisdn, ParseStatus.WrongLength },
        { GoodImei, "1234567890123456", GoodImsi, CheckField.Msisdn, ParseStatus.WrongLength },
        { GoodImei, "0996700123456", GoodImsi, CheckField.Msisdn, ParseStatus.LeadingZero },
        { GoodImei, "99670012345a", GoodImsi, CheckField.Msisdn, ParseStatus.NotDigits },
        { GoodImei, "bad", "bad", CheckField.Msisdn, ParseStatus.NotDigits },          // then the MSISDN
        { GoodImei, GoodNumber, "4370", CheckField.Imsi, ParseStatus.TooShort },
        { GoodImei, GoodNumber, "imsi-", CheckField.Imsi, ParseStatus.TooShort },
        { GoodImei, GoodNumber, "4370101234567890", CheckField.Imsi, ParseStatus.TooLong },
        { GoodImei, "", "43701x123456789", CheckField.Imsi, ParseStatus.NotDigits },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Check_MalformedField_RefusedNamingTheField(string imei, string msisdn, string imsi, CheckField field, ParseStatus status)
    {
        var h = new PolicyHarness();

        var result = h.Check(imei, msisdn, imsi);

        Assert.False(result.IsValid);
        Assert.Equal(field, result.InvalidField);
        Assert.Equal(status, result.InvalidStatus);
        Assert.Equal(default, result.Decision);
        var name = field.ToString().ToLowerInvariant();
        Assert.Equal(name, result.FieldName);
        var why = field switch
        {
            CheckField.Imei => ParseStatusText.DescribeImei(status),
            CheckField.Msisdn => ParseStatusText.DescribeMsisdn(status),
            _ => ParseStatusText.DescribeImsi(status),
        };
        Assert.Equal(name + " " + why, result.ErrorMessage);
        Assert.Equal(0, h.Marks.Count);
        Assert.Empty(h.Sink.Bound);
    }

    [Fact]
    public void Check_ValidInput_HasNoErrorAndCarriesTheViewSequence()
    {
        var h = new PolicyHarness();
        h.Apply(Mutation.Register(49015420323751));
        h.Apply();
        h.Apply(Mutation.Stolen(1));

        var result = h.Check(GoodImei, GoodNumber, GoodImsi);

        Assert.True(result.IsValid);
        Assert.Equal(CheckField.None, result.InvalidField);
        Assert.Equal("", result.FieldName);
        Assert.Equal("", result.ErrorMessage);
        Assert.Equal(3, result.Sequence);
        Assert.Equal(Reason.Registered, result.Decision.Reason);
    }

    [Fact]
    public void IsReady_IndexNotLoaded_FalseUntilLoaded()
    {
        var index = new EirIndex();
        var h = new PolicyHarness(index);

        Assert.False(h.Checker.IsReady);
        index.Load(EirSnapshot.Empty, 0);
        Assert.True(h.Checker.IsReady);
    }

    [Theory]
    [InlineData("49015420323751", 49015420323751)]
    [InlineData("490154203237519", 49015420323751)]
    [InlineData("imeisv-4901542032375101", 49015420323751)]
    public void Check_ParsedOrText_GiveTheSameDecision(string imei, long key)
    {
        var h = new PolicyHarness();
        h.Apply(Mutation.Bind(key, Ids.Msisdn(GoodNumber)));

        var fromText = h.Check(imei, "", GoodImsi).Decision;
        var parsed = h.Checker.Check(new CheckInput(key, 0, Ids.Imsi(GoodImsi))).Decision;

        Assert.Equal(Reason.NumberSwitchGrace, fromText.Reason);
        Assert.Equal(fromText, parsed);
    }

    [Fact]
    public void Decide_PureFunction_DependsOnlyOnItsArguments()
    {
        var h = new PolicyHarness();
        var view = h.Apply(Mutation.Bind(5, Ids.Msisdn(GoodNumber)));
        var marks = new InMemoryGraceMarks();
        var input = new CheckInput(5, Ids.Msisdn("996700999999"), 0);
        var now = PolicyHarness.Start.UtcTicks;

        var first = VerdictPolicy.Decide(in input, view, marks, h.Options, now);
        var later = VerdictPolicy.Decide(in input, view, marks, h.Options, now + TimeSpan.FromHours(72).Ticks);

        Assert.Equal(new Decision(Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace, now + TimeSpan.FromHours(72).Ticks), first);
        Assert.Equal(Reason.NumberSwitchRequired, later.Reason);
    }

    [Fact]
    public void Check_HotPathFromText_AllocatesNothing()
    {
        var h = new PolicyHarness();
        h.Apply(
            Mutation.Register(49015420323751),
            Mutation.Bind(86_000_001_000_001, Ids.Msisdn(GoodNumber), Ids.Imsi(GoodImsi)),
            Mutation.Subscriber(Ids.Imsi("437011111111111"), Ids.Msisdn(GoodNumber)));
        h.Decide("86000001000001", "996700999999");   // the grace mark exists from now on
        (string Imei, string Msisdn, string Imsi)[] requests =
        [
            (GoodImei, GoodNumber, GoodImsi),                   // registered
            ("86000001000001", GoodNumber, ""),                 // bound by number
            ("86000001000001", "", "imsi-437011111111111"),      // bound through the subscriber map
            ("86000001000001", "996700999999", ""),             // grace, repeat check
            ("35999999000001", "", "437010000000000"),          // not registered
            ("35999999000001", "", "250011234567890"),          // roaming
            ("35999999000001", "bad", ""),                      // malformed
        ];
        foreach (var (imei, msisdn, imsi) in requests)
        {
            for (var i = 0; i < 100; i++)
            {
                h.Check(imei, msisdn, imsi);
            }
        }

        foreach (var (imei, msisdn, imsi) in requests)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                h.Check(imei, msisdn, imsi);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
