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
    public void Compact_CloneImeisChangedAndUnchanged_RecordsAndImsiLookupsSurviveEachCompaction()
    {
        // Two clone IMEIs past the IMSI-index threshold and a plain one; compactions that change one clone (its
        // index rebuilt), leave the other alone (its index carried over), remove the plain IMEI and add one.
        var index = new EirIndex();
        var clone = Enumerable.Range(0, 40).Select(i => (1L, new BindingRecord(996_700_000_000 + i, 437_010_000_000_000 + i)));
        var other = Enumerable.Range(0, 30).Select(i => (2L, new BindingRecord(996_710_000_000 + i, 437_050_000_000_000 + i)));
        index.Load(EirSnapshot.Build([], [], [.. clone, .. other, (3L, new BindingRecord(996_720_000_000, 0))], []), 0);

        index.Apply(1, [Mutation.Bind(1, 996_700_000_100, 437_010_000_000_100), Mutation.Unbind(3, 996_720_000_000), Mutation.Bind(4, 996_730_000_000)], Now);
        var first = index.Compact();
        Assert.Equal(0, first.OverlayEntries);
        index.Apply(2, [Mutation.Unbind(1, 996_700_000_000, 437_010_000_000_000)], Now);
        var second = index.Compact();
        Assert.Equal(0, second.OverlayEntries);

        foreach (var view in new[] { first, second })
        {
            Assert.True(view.GetBindings(1).HasImsi(437_010_000_000_100));
            Assert.True(view.GetBindings(1).HasImsi(437_010_000_000_039));
            Assert.True(view.GetBindings(2).HasImsi(437_050_000_000_029));
            Assert.False(view.GetBindings(2).HasImsi(437_010_000_000_001));
            Assert.Equal(30, view.GetBindings(2).Count);
            Assert.Equal(0, view.GetBindings(3).Count);
            Assert.True(view.GetBindings(4).HasMsisdn(996_730_000_000));
        }

        Assert.True(first.GetBindings(1).HasImsi(437_010_000_000_000));
        Assert.False(second.GetBindings(1).HasImsi(437_010_000_000_000));
        Assert.Equal(41, first.GetBindings(1).Count);
        Assert.Equal(40, second.GetBindings(1).Count);
        Assert.Equal(71, second.Counts.Bindings);
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
