using System.Globalization;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Core.Tests.Index;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// A plan carries its batch's effect on the view it was planned on (<see cref="BatchPlan.Effect"/>), worked out while
/// the deltas were validated: it must be the effect a follower works out from the plan's mutations on the same view,
/// and the view the writer stages from it must answer like the follower's.
/// </summary>
public class BatchPlannerEffectTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Imeis = [.. Enumerable.Range(0, 12).Select(i => "3529061100" + i.ToString("D4", CultureInfo.InvariantCulture))];
    private static readonly string[] Msisdns = [.. Enumerable.Range(1, 6).Select(i => "99670000000" + i.ToString(CultureInfo.InvariantCulture))];
    private static readonly string[] Imsis = [.. Enumerable.Range(1, 6).Select(i => "43701000000000" + i.ToString(CultureInfo.InvariantCulture))];

    private readonly BatchPlanner _planner = new(new PolicyOptions());

    private static EirIndex NewIndex()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        return index;
    }

    [Fact]
    public void Plan_MixedBatch_EffectIsTheEffectOfItsMutationsOnTheView()
    {
        var index = NewIndex();
        var devices = new InMemoryDeviceDirectory();
        var first = _planner.Plan(
            [
                new RegisterDeviceDelta("dev-1", [Imeis[0], Imeis[1]]),
                new BindDelta(Imeis[2], Msisdns[0], Imsis[0]),
                new BindDelta(Imeis[2], Msisdns[1], ""),
                new ReportStolenDelta(Imeis[3], "case-1"),
                new UpsertSubscriberDelta(Imsis[0], Msisdns[0]),
            ],
            index.Current,
            devices);
        index.Publish(index.Stage(1, first.Effect, At));
        devices.Apply(first);
        var view = index.Current;

        var plan = _planner.Plan(
            [
                new UnregisterDeviceDelta("dev-1"),
                new RegisterDeviceDelta("dev-1", [Imeis[0]]),          // back: no entry for IMEI 0
                new SwitchNumberDelta(Msisdns[1], Msisdns[2], Imeis[2]),
                new UnbindDelta(Imeis[2], Msisdns[0], Imsis[0]),
                new BindDelta(Imeis[4], Msisdns[3], ""),
                new ClearStolenDelta(Imeis[3]),
                new ReportStolenDelta(Imeis[3], "case-2"),              // back: no entry for IMEI 3
                new UpsertSubscriberDelta(Imsis[0], Msisdns[1]),
                new RemoveSubscriberDelta(Imsis[0]),
            ],
            view,
            devices);

        Assert.True(plan.IsValid, string.Join("; ", plan.Errors));
        var effect = EffectContent.Of(plan.Effect);
        Assert.Equal(EffectContent.Of(IndexEffectBuilder.Of(view, [.. plan.Mutations])), effect);
        Assert.Equal(1, effect.BasisSequence);
        Assert.Equal([(Key(Imeis[1]), false)], effect.Registered);
        Assert.Empty(effect.Stolen);
        Assert.Equal([(Key(Imeis[2]), $"{Number(Msisdns[2])}/0"), (Key(Imeis[4]), $"{Number(Msisdns[3])}/0")], effect.Bindings);
        Assert.Equal([(Ids.Imsi(Imsis[0]), 0L)], effect.Subscribers);
        Assert.Equal(new EirCounts(1, 2, 1, 0), effect.Counts);
    }

    [Fact]
    public void Plan_WithErrors_TheEffectOfNothingOnItsView()
    {
        var index = NewIndex();

        var plan = _planner.Plan([new BindDelta(Imeis[0], Msisdns[0], ""), new ClearStolenDelta(Imeis[1])], index.Current, new InMemoryDeviceDirectory());

        Assert.False(plan.IsValid);
        Assert.Empty(plan.Mutations);
        Assert.Equal(0, plan.Effect.Count);
        Assert.Equal(index.Current.Counts, plan.Effect.Counts);
        Assert.Equal(0, plan.Effect.BasisSequence);
    }

    [Fact]
    public void PlanSwitch_EffectIsTheEffectOfItsMutationsOnTheView()
    {
        var index = NewIndex();
        var imei = Key(Imeis[0]);
        index.Apply(1, [Mutation.Bind(imei, Number(Msisdns[0]), Ids.Imsi(Imsis[0])), Mutation.Bind(imei, Number(Msisdns[1]))], At);
        var marks = new InMemoryGraceMarks();
        marks.Merge(imei, SubscriberKey.FromMsisdn(Number(Msisdns[2])), At.UtcTicks);

        var plan = _planner.PlanSwitch(new SwitchNumberDelta(Msisdns[0], Msisdns[2], ""), index.Current, marks, At.UtcTicks);

        Assert.True(plan.IsValid, string.Join("; ", plan.Errors));
        Assert.Equal(EffectContent.Of(IndexEffectBuilder.Of(index.Current, [.. plan.Mutations])), EffectContent.Of(plan.Effect));
        Assert.Equal([(imei, $"{Number(Msisdns[1])}/0 {Number(Msisdns[2])}/0")], EffectContent.Of(plan.Effect).Bindings);
    }

    [Fact]
    public void AmnestyPlan_BindingsSomeAlreadyThere_EffectOfTheNewOnesOnly()
    {
        var index = NewIndex();
        index.Apply(1, [Mutation.Bind(1, 996_700_000_001)], At);
        Mutation[] bindings = [Mutation.Bind(1, 996_700_000_001), Mutation.Bind(2, 996_700_000_002, 17), Mutation.Bind(2, 996_700_000_002, 17)];

        var plan = AmnestyBindings.Plan(index.Current, bindings);

        Assert.Equal(bindings, plan.Mutations);
        Assert.Equal(EffectContent.Of(IndexEffectBuilder.Of(index.Current, bindings)), EffectContent.Of(plan.Effect));
        Assert.Equal([(2L, "996700000002/17")], EffectContent.Of(plan.Effect).Bindings);
        Assert.Equal(2, plan.Effect.Counts.Bindings);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Plan_RandomBatches_EffectAsRebuiltAndTheStagedViewAsTheFollowersView(int seed)
    {
        var random = new Random(seed);
        var writer = NewIndex();
        var follower = NewIndex();
        var devices = new InMemoryDeviceDirectory();
        var planned = 0;

        for (var b = 0; b < 150; b++)
        {
            var deltas = Enumerable.Range(0, random.Next(1, 25)).Select(_ => RandomDelta(random, writer.Current)).ToList();
            var view = writer.Current;
            var plan = _planner.Plan(deltas, view, devices);

            // Drop the refused deltas until the batch plans (a refused batch has the effect of nothing).
            for (var attempt = 0; !plan.IsValid && attempt < 20; attempt++)
            {
                Assert.Equal(0, plan.Effect.Count);
                Assert.Equal(view.Counts, plan.Effect.Counts);
                var refused = plan.Errors.Select(e => e.Index).ToHashSet();
                deltas = [.. deltas.Where((_, i) => !refused.Contains(i))];
                plan = _planner.Plan(deltas, view, devices);
            }

            if (!plan.IsValid || deltas.Count == 0)
            {
                continue;
            }

            Assert.Equal(EffectContent.Of(IndexEffectBuilder.Of(view, [.. plan.Mutations])), EffectContent.Of(plan.Effect));
            var staged = writer.Stage(view.Sequence + 1, plan.Effect, At);
            writer.Publish(staged);
            follower.Apply(view.Sequence + 1, [.. plan.Mutations], At);
            devices.Apply(plan);
            Assert.Null(Differs(writer.Current, follower.Current));
            planned++;
        }

        Assert.True(planned > 100, $"{planned} batches planned");
    }

    private static RegistryDelta RandomDelta(Random random, EirView view)
    {
        string Pick(string[] values) => values[random.Next(values.Length)];
        var imei = Pick(Imeis);
        switch (random.Next(9))
        {
            case 0:
                var second = Pick(Imeis);
                return new RegisterDeviceDelta("dev-" + random.Next(6), second == imei || random.Next(2) == 0 ? [imei] : [imei, second]);
            case 1:
                return new UnregisterDeviceDelta("dev-" + random.Next(6));
            case 2:
                return new BindDelta(imei, Pick(Msisdns), random.Next(2) == 0 ? "" : Pick(Imsis));
            case 3:
            {
                // Mostly a record that is there (in the view: the batch may have changed it since).
                var records = view.GetBindings(Key(imei)).Records.ToArray();
                if (records.Length > 0 && random.Next(4) != 0)
                {
                    var r = records[random.Next(records.Length)];
                    return new UnbindDelta(imei, r.Msisdn.ToString(CultureInfo.InvariantCulture), r.Imsi == 0 ? "" : Imsis.Single(i => Ids.Imsi(i) == r.Imsi));
                }

                return new UnbindDelta(imei, Pick(Msisdns), random.Next(2) == 0 ? "" : Pick(Imsis));
            }

            case 4:
                return new ReportStolenDelta(imei, "case-" + random.Next(100));
            case 5:
                return new ClearStolenDelta(imei);
            case 6:
                return new UpsertSubscriberDelta(Pick(Imsis), Pick(Msisdns));
            case 7:
                return new RemoveSubscriberDelta(Pick(Imsis));
            default:
                return new SwitchNumberDelta(Pick(Msisdns), Pick(Msisdns), imei);
        }
    }

    private static string? Differs(EirView a, EirView b)
    {
        if (a.Counts != b.Counts)
        {
            return $"counts {a.Counts} and {b.Counts}";
        }

        foreach (var imei in Imeis.Select(Key))
        {
            if (a.IsRegistered(imei) != b.IsRegistered(imei) || a.IsStolen(imei) != b.IsStolen(imei)
                || !a.GetBindings(imei).Records.SequenceEqual(b.GetBindings(imei).Records))
            {
                return $"IMEI {imei} differs";
            }
        }

        foreach (var imsi in Imsis.Select(Ids.Imsi))
        {
            if (a.TryGetMsisdn(imsi, out var x) != b.TryGetMsisdn(imsi, out var y) || x != y)
            {
                return $"IMSI {imsi} differs";
            }
        }

        return null;
    }

    private static long Key(string imei) => long.Parse(imei, CultureInfo.InvariantCulture);

    private static long Number(string msisdn) => Ids.Msisdn(msisdn);
}
