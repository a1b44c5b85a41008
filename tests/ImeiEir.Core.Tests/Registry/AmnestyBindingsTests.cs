using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// <see cref="AmnestyBindings"/>: an amnesty-window check binds the IMEI to its MSISDN (with the IMSI if sent); without an
/// MSISDN it binds nothing (docs/domain.md, "Amnesty window").
/// </summary>
public class AmnestyBindingsTests
{
    private const long Imei = 35_693_803_564_380;

    [Theory]
    [InlineData(996_700_000_001L, 0L, true)] // MSISDN only
    [InlineData(996_700_000_001L, 6_992_800_000_000_015L, true)] // MSISDN and IMSI
    [InlineData(0L, 6_992_800_000_000_015L, false)] // an IMSI the subscriber map does not know: allowed, not bound
    [InlineData(0L, 0L, false)]
    public void TryCreate_CheckAsSent_BindingOnlyWithMsisdn(long msisdn, long imsi, bool binds)
    {
        var made = AmnestyBindings.TryCreate(Imei, msisdn, imsi, out var binding);

        Assert.Equal(binds, made);
        if (binds)
        {
            Assert.Equal(Mutation.Bind(Imei, msisdn, imsi), binding);
        }
    }

    [Fact]
    public void Plan_Bindings_ValidPlanOfExactlyThem()
    {
        Mutation[] bindings = [Mutation.Bind(Imei, 996_700_000_001), Mutation.Bind(Imei + 1, 996_700_000_002, 6_992_800_000_000_015)];

        var plan = AmnestyBindings.Plan(EmptyView(), bindings);

        Assert.True(plan.IsValid);
        Assert.Equal(bindings, plan.Mutations);
        Assert.Empty(plan.DevicesAdded);
    }

    [Fact]
    public void Plan_NotABindingWithMsisdn_Throws()
    {
        Assert.Throws<ArgumentException>(() => AmnestyBindings.Plan(EmptyView(), [Mutation.Bind(Imei, 0, 6_992_800_000_000_015)]));
        Assert.Throws<ArgumentException>(() => AmnestyBindings.Plan(EmptyView(), [Mutation.Stolen(Imei)]));
    }

    private static EirView EmptyView()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        return index.Current;
    }
}
