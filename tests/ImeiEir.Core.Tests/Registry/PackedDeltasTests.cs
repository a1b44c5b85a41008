using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.Core.Tests.Policy;

namespace ImeiEir.Core.Tests.Registry;

/// <summary>A batch's deltas packed into pooled text read back exactly as they were added, and planned alike.</summary>
public class PackedDeltasTests
{
    private static RegistryDelta?[] EveryKind() =>
    [
        new RegisterDeviceDelta("device-1", ["490154203237518", "356938035643809"]),
        new UnregisterDeviceDelta("device-2"),
        new BindDelta("490154203237518", "996700100001", "437010000100001"),
        new UnbindDelta("490154203237518", "996700100001", ""),
        new ReportStolenDelta("356938035643809", "case 17/2026 — ünïcode"),
        new ClearStolenDelta("356938035643809"),
        new UpsertSubscriberDelta("437010000100001", "996700100001"),
        new RemoveSubscriberDelta("437010000100001"),
        new SwitchNumberDelta("996700100001", "996700200002", ""),
        null,
        new RegisterDeviceDelta("", []),
    ];

    private static PackedDeltas Pack(IEnumerable<RegistryDelta?> deltas, int expected)
    {
        var packed = new PackedDeltas(expected);
        foreach (var d in deltas)
        {
            switch (d)
            {
                case RegisterDeviceDelta r: packed.AddRegisterDevice(r.DeviceId, r.Imeis); break;
                case UnregisterDeviceDelta u: packed.AddUnregisterDevice(u.DeviceId); break;
                case BindDelta b: packed.AddBind(b.Imei, b.Msisdn, b.Imsi); break;
                case UnbindDelta u: packed.AddUnbind(u.Imei, u.Msisdn, u.Imsi); break;
                case ReportStolenDelta s: packed.AddReportStolen(s.Imei, s.CaseReference); break;
                case ClearStolenDelta c: packed.AddClearStolen(c.Imei); break;
                case UpsertSubscriberDelta s: packed.AddUpsertSubscriber(s.Imsi, s.Msisdn); break;
                case RemoveSubscriberDelta s: packed.AddRemoveSubscriber(s.Imsi); break;
                case SwitchNumberDelta s: packed.AddSwitchNumber(s.PreviousMsisdn, s.NewMsisdn, s.Imei); break;
                default: packed.AddEmpty(); break;
            }
        }

        return packed;
    }

    private static void AssertSame(RegistryDelta? expected, RegistryDelta? actual)
    {
        if (expected is RegisterDeviceDelta r)
        {
            var a = Assert.IsType<RegisterDeviceDelta>(actual);
            Assert.Equal(r.DeviceId, a.DeviceId);
            Assert.Equal(r.Imeis, a.Imeis);
            return;
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EveryKind_ReadsBackAsAdded_EmptyAsNull()
    {
        var deltas = EveryKind();
        using var packed = Pack(deltas, deltas.Length);

        Assert.Equal(deltas.Length, packed.Count);
        for (var i = 0; i < deltas.Length; i++)
        {
            AssertSame(deltas[i], packed[i]);
        }

        Assert.Null(packed[9]);
        Assert.Equal(deltas.Length, packed.AsEnumerable().Select(d => d).Count());
    }

    [Fact]
    public void BeyondItsFirstBuffers_GrowsAndKeepsEverything()
    {
        // Expected 1 delta, given 5 000 with long fields (an id of 20 000 chars needs the length's high half too).
        var random = new Random(7);
        var deltas = new List<RegistryDelta?>();
        for (var i = 0; i < 5_000; i++)
        {
            deltas.Add(random.Next(4) switch
            {
                0 => new RegisterDeviceDelta($"device-{i}", [.. Enumerable.Range(0, random.Next(0, 40)).Select(k => $"{i:D8}{k:D7}")]),
                1 => new ReportStolenDelta($"{i:D15}", new string('x', random.Next(0, 300))),
                2 => null,
                _ => new BindDelta($"{i:D15}", $"9967{i:D8}", ""),
            });
        }

        deltas.Add(new UnregisterDeviceDelta(new string('d', 70_000)));
        using var packed = Pack(deltas, 1);

        Assert.Equal(deltas.Count, packed.Count);
        for (var i = 0; i < deltas.Count; i++)
        {
            AssertSame(deltas[i], packed[i]);
        }
    }

    [Fact]
    public void Planned_SameAsTheDeltasThemselves()
    {
        var h = new PolicyHarness();
        var planner = new BatchPlanner(new PolicyOptions());
        var devices = new InMemoryDeviceDirectory();
        RegistryDelta[] deltas =
        [
            new RegisterDeviceDelta("device-1", ["490154203237518", "356938035643809"]),
            new BindDelta("352099001761481", "996700100001", "437010000100001"),
            new UpsertSubscriberDelta("437010000100001", "996700100001"),
            new ReportStolenDelta("356938035643809", "case-1"),
        ];
        using var packed = Pack(deltas, deltas.Length);

        var expected = planner.Plan(deltas, h.Index.Current, devices);
        var actual = planner.Plan(packed, h.Index.Current, devices);

        Assert.True(actual.IsValid);
        Assert.Equal(expected.Mutations, actual.Mutations);
        Assert.Equal(expected.DeviceChanges.Keys, actual.DeviceChanges.Keys);
    }

    [Fact]
    public void BadDeltas_RefusedAtTheirIndex_AsFromTheDeltasThemselves()
    {
        var h = new PolicyHarness();
        var planner = new BatchPlanner(new PolicyOptions());
        RegistryDelta?[] deltas = [new BindDelta("12", "996700100001", ""), null, new RegisterDeviceDelta("device-1", [])];
        using var packed = Pack(deltas, deltas.Length);

        var expected = planner.Plan(deltas!, h.Index.Current, new InMemoryDeviceDirectory());
        var actual = planner.Plan(packed, h.Index.Current, new InMemoryDeviceDirectory());

        Assert.Equal(3, actual.Errors.Count);
        Assert.Equal(expected.Errors, actual.Errors);
    }

    [Fact]
    public void CountByKind_InTheContractsOrder_EmptyDeltasNowhere()
    {
        using var packed = Pack(EveryKind(), 4);

        // register ×2, unregister, bind, unbind, report, clear, upsert, remove, switch; the empty delta is not counted
        Assert.Equal([2u, 1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u], packed.CountByKind());
    }

    [Fact]
    public void Disposed_RefusesToBeRead()
    {
        var packed = Pack(EveryKind(), 4);
        packed.Dispose();
        packed.Dispose();

        Assert.Throws<ObjectDisposedException>(() => packed[0]);
        Assert.Throws<ObjectDisposedException>(() => packed.AddClearStolen("490154203237518"));
    }

    [Fact]
    public void OutOfRange_Throws()
    {
        using var packed = Pack(EveryKind(), 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => packed[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => packed[packed.Count]);
    }
}
