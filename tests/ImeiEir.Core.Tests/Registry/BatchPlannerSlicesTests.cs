using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>
/// <see cref="BatchPlanner.PlanInSlicesAsync"/> (the sync pipeline's form, giving its thread back between slices) plans
/// exactly as <see cref="BatchPlanner.Plan"/>: the same mutations, device changes and errors, whatever the slice.
/// </summary>
public class BatchPlannerSlicesTests
{
    private static readonly RegistryDelta[] Deltas =
    [
        new RegisterDeviceDelta("dev-1", ["490154203237518", "35693803564380"]),
        new BindDelta("352099001761481", "996700100001", "437010000100001"),
        new UnregisterDeviceDelta("dev-1"),
        new RegisterDeviceDelta("dev-1", ["35693803564380"]),
        new ReportStolenDelta("352099001761481", "case-1"),
        new UpsertSubscriberDelta("437050000200002", "996700200002"),
        new RegisterDeviceDelta("dev-2", ["35693803564380"]), // already dev-1's: a conflict at index 6
        new UnregisterDeviceDelta("dev-2"),                   // not registered: a conflict at index 7
        new ClearStolenDelta("352099001761481"),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(100)]
    public async Task PlanInSlicesAsync_AnySlice_SamePlanAsPlan(int slice)
    {
        var planner = new BatchPlanner(new PolicyOptions());
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        var valid = Deltas.Where((_, i) => i is not (6 or 7)).ToArray();

        foreach (var deltas in new[] { Deltas, valid })
        {
            var whole = planner.Plan(deltas, index.Current, new InMemoryDeviceDirectory());
            var sliced = await planner.PlanInSlicesAsync(deltas, index.Current, new InMemoryDeviceDirectory(), slice);

            Assert.Equal(whole.Errors, sliced.Errors);
            Assert.Equal(whole.Mutations, sliced.Mutations);
            Assert.Equal(whole.DevicesAdded.Select(d => (d.DeviceId, string.Join(",", d.Imeis))), sliced.DevicesAdded.Select(d => (d.DeviceId, string.Join(",", d.Imeis))));
            Assert.Equal(whole.DevicesRemoved.Select(d => d.DeviceId), sliced.DevicesRemoved.Select(d => d.DeviceId));
            Assert.Equal(whole.DeviceChanges.Keys.Order(), sliced.DeviceChanges.Keys.Order());
            Assert.Equal(whole.OwnerChanges.OrderBy(p => p.Key), sliced.OwnerChanges.OrderBy(p => p.Key));
        }

        Assert.Equal([6, 7], planner.Plan(Deltas, index.Current, new InMemoryDeviceDirectory()).Errors.Select(e => e.Index));
    }
}
