using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Index;

/// <summary>A clone IMEI bound to tens of thousands of numbers, built and edited in large batches.</summary>
public sealed class EirIndexBulkBindingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Apply_FiftyThousandBindingsOnOneImeiInTwoBatches_AllMatchAndCountsExact()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        var first = Enumerable.Range(0, 30_000).Select(i => Mutation.Bind(0, 996_700_000_000 + i, i % 3 == 0 ? 437_010_000_000_000 + i : 0)).ToArray();
        var second = Enumerable.Range(30_000, 20_000).Select(i => Mutation.Bind(0, 996_700_000_000 + i))
            .Concat(Enumerable.Range(0, 1_000).Select(i => Mutation.Unbind(0, 996_700_000_000 + (i * 7), (i * 7) % 3 == 0 ? 437_010_000_000_000 + (i * 7) : 0)))
            .ToArray();

        index.Apply(1, first, Now);
        var view = index.Apply(2, second, Now);

        Assert.Equal(49_000, view.Counts.Bindings);
        var bindings = view.GetBindings(0);
        Assert.Equal(49_000, bindings.Count);
        Assert.True(bindings.HasMsisdn(996_700_049_999));
        Assert.False(bindings.HasMsisdn(996_700_000_007));
        Assert.True(bindings.HasImsi(437_010_000_000_003));
        Assert.False(bindings.HasImsi(437_010_000_000_000 + 21));
    }

    [Fact]
    public void Plan_TenThousandBindsAndAnUnbindOfOneOfThemOnOneImei_PlannedInOneBatch()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        var deltas = Enumerable.Range(0, 10_000).Select(i => (RegistryDelta)new BindDelta("00000000000000", (996_700_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture), ""))
            .Append(new UnbindDelta("00000000000000", "996700000042", ""))
            .Append(new UnbindDelta("00000000000000", "996700000042", ""))
            .ToList();

        var plan = new BatchPlanner(new PolicyOptions()).Plan(deltas, index.Current, new InMemoryDeviceDirectory());

        var error = Assert.Single(plan.Errors);
        Assert.Equal(10_001, error.Index);
        Assert.Contains("no binding", error.Message, StringComparison.Ordinal);
    }
}
