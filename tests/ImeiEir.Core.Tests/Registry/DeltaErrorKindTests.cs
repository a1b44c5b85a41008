using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>The planner tells malformed input from a state conflict, so adapters choose the status without re-parsing.</summary>
public sealed class DeltaErrorKindTests
{
    public static TheoryData<RegistryDelta, DeltaErrorKind> Cases => new()
    {
        { new BindDelta("x", "996700111111", ""), DeltaErrorKind.Invalid },
        { new RegisterDeviceDelta("", ["35693803564380"]), DeltaErrorKind.Invalid },
        { new SwitchNumberDelta("bad", "996700555555", "35209900176148"), DeltaErrorKind.Invalid },
        { new SwitchNumberDelta("996700111111", "996700555555", ""), DeltaErrorKind.Invalid },
        { new UnregisterDeviceDelta("no-such-device"), DeltaErrorKind.Conflict },
        { new UnbindDelta("35209900176148", "996700111111", ""), DeltaErrorKind.Conflict },
        { new ClearStolenDelta("35209900176148"), DeltaErrorKind.Conflict },
        { new RemoveSubscriberDelta("437010000000001"), DeltaErrorKind.Conflict },
        { new SwitchNumberDelta("996700111111", "996700555555", "35209900176148"), DeltaErrorKind.Conflict },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plan_RefusedDelta_ReportsKind(RegistryDelta delta, DeltaErrorKind kind)
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);

        var plan = new BatchPlanner(new PolicyOptions()).Plan([delta], index.Current, new InMemoryDeviceDirectory());

        Assert.Equal(kind, Assert.Single(plan.Errors).Kind);
    }
}
