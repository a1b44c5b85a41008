using Grpc.Core;
using ImeiEir.Contracts.V1;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests;

/// <summary>RegistrySync semantics: all-or-nothing batches, idempotent batch ids, order, limits.</summary>
public sealed class SyncTests : NodeTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Redis:MaxBatchDeltas"] = "5" };

    [Fact]
    public async Task Apply_OneBadDelta_RejectsWholeBatchListingEveryBadItem()
    {
        var ack = await Node.ApplyOneAsync(
            "b1",
            D.Register("dev-1", "35693803564380"),
            D.Register("dev-2", "490154203237519"),      // wrong check digit
            D.Bind("35209900176148", "12345"),            // bad msisdn
            new Delta(),                                  // nothing set
            D.Stolen("35332206453425", ""));              // no case reference

        Assert.False(ack.Accepted);
        Assert.Equal([1u, 2u, 3u, 4u], ack.Errors.Select(e => e.Index));
        Assert.Contains("register_device.imeis[0]", ack.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("check digit", ack.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("bind.msisdn", ack.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("report_stolen.case_reference", ack.Errors[3].Message, StringComparison.Ordinal);
        var state = await Node.SyncStateAsync();
        Assert.Equal(0UL, state.Sequence);
        Assert.Equal(0UL, state.RegisteredImeis);
        Assert.Equal(Reason.NotRegistered, (await Node.CheckAsync("35693803564380", "996700000001")).Reason);
    }

    [Fact]
    public async Task Apply_StateConflicts_RejectedWithReasons()
    {
        Assert.True((await Node.ApplyOneAsync("setup", D.Register("dev-1", "35693803564380"))).Accepted);

        var ack = await Node.ApplyOneAsync(
            "b2",
            D.Register("dev-2", "35693803564380"),
            D.Unregister("no-such-device"),
            D.Unbind("35209900176148", "996700111111"),
            D.ClearStolen("35332206453425"),
            D.RemoveSubscriber("437010000000001"));

        Assert.False(ack.Accepted);
        Assert.Equal(5, ack.Errors.Count);
        Assert.Contains("already registered to another device", ack.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Apply_PipelinedBatchesDependingOnEachOther_EachPlannedOnTheOneBefore()
    {
        // Written without waiting for acks: the node reads each batch's device records while the one before
        // commits, and must still plan it on the data that batch left.
        static DeltaBatch B(string id, Delta d) => new() { BatchId = id, Deltas = { d } };
        DeltaBatch[] batches =
        [
            B("p1", D.Register("dev-a", "35693803564380")),
            B("p2", D.Register("dev-b", "35693803564380")),   // dev-a's IMEI
            B("p3", D.Register("dev-a", "35693803564380")),   // the same device again: nothing to do
            B("p4", D.Unregister("dev-a")),
            B("p5", D.Register("dev-b", "35693803564380")),   // free again
            B("p6", D.Register("dev-b", "35209900176148")),   // dev-b with other IMEIs
            B("p7", D.Unregister("dev-a")),                    // gone
            B("p8", D.Register("dev-c", "35693803564380")),   // dev-b's now
        ];
        using var call = Node.Sync.Apply(TestNode.Auth(TestNode.SyncKey));
        foreach (var b in batches)
        {
            await call.RequestStream.WriteAsync(b);
        }

        await call.RequestStream.CompleteAsync();
        var acks = new List<BatchAck>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(call.ResponseStream.Current);
        }

        Assert.Equal(batches.Select(b => b.BatchId), acks.Select(a => a.BatchId));
        Assert.Equal([true, false, true, true, true, false, false, false], acks.Select(a => a.Accepted));
        Assert.Contains("already registered to another device", acks[1].Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("already registered with other IMEIs", acks[5].Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("not a registered device", acks[6].Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("already registered to another device", acks[7].Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(Reason.Registered, (await Node.CheckAsync("35693803564380", "996700000001")).Reason);
        Assert.Equal(Reason.NotRegistered, (await Node.CheckAsync("35209900176148", "996700000001")).Reason);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }

    [Fact]
    public async Task WriteCheckpoint_WhileAStreamKeepsBatchesInFlight_WrittenAndSyncUnharmed()
    {
        // A checkpoint compacts the index, which must wait for the pipeline's staged views to be published.
        var checkpointer = Node.Services.GetRequiredService<ImeiEir.Storage.Checkpointer>();
        using var call = Node.Sync.Apply(TestNode.Auth(TestNode.SyncKey));
        // The stream is live once the first batch is acked (a client may buffer a new call's first messages), so
        // every checkpoint below is of a sequence after the one before it. One checkpoint at a time: requests made
        // together compete for the checkpoint lock and all but one answer false.
        static DeltaBatch Batch(int i) => new() { BatchId = $"c{i}", Deltas = { D.Register($"dev-{i}", new ImeiEir.Core.Identifiers.ImeiKey(35_000_000_000_000L + i).ToString()) } };
        await call.RequestStream.WriteAsync(Batch(0));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var acks = new List<BatchAck> { call.ResponseStream.Current };
        var checkpoints = new List<bool>();
        for (var i = 1; i < 60; i++)
        {
            await call.RequestStream.WriteAsync(Batch(i));
            if (i % 10 == 5)
            {
                checkpoints.Add(await checkpointer.WriteCheckpointAsync());
            }
        }

        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(call.ResponseStream.Current);
        }

        Assert.All(acks, a => Assert.True(a.Accepted, a.Error));
        Assert.Equal(60, acks.Count);
        Assert.True(checkpoints[0], "a checkpoint after the first ack must be written");
        Assert.Equal(60UL, (await Node.SyncStateAsync()).RegisteredImeis);
    }

    [Fact]
    public async Task Apply_RetrySentWhileTheOriginalIsInFlight_DuplicateEvenIfItNoLongerPlans()
    {
        Assert.True((await Node.ApplyOneAsync("setup", D.Register("dev-x", "35693803564380"))).Accepted);

        // The retry arrives before the original is committed; planned again it would fail (dev-x is gone).
        var unregister = new DeltaBatch { BatchId = "u1", Deltas = { D.Unregister("dev-x") } };
        using var call = Node.Sync.Apply(TestNode.Auth(TestNode.SyncKey));
        await call.RequestStream.WriteAsync(unregister);
        await call.RequestStream.WriteAsync(unregister.Clone());
        await call.RequestStream.WriteAsync(new DeltaBatch { BatchId = "r1", Deltas = { D.Register("dev-x", "35693803564380") } });
        await call.RequestStream.WriteAsync(new DeltaBatch { BatchId = "r1", Deltas = { D.Register("dev-x", "35693803564380") } });
        await call.RequestStream.CompleteAsync();
        var acks = new List<BatchAck>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(call.ResponseStream.Current);
        }

        Assert.Equal([(true, false), (true, true), (true, false), (true, true)], acks.Select(a => (a.Accepted, a.Duplicate)));
        Assert.Equal(acks[0].Sequence, acks[1].Sequence);
        Assert.Equal(acks[2].Sequence, acks[3].Sequence);
        Assert.Equal(3UL, (await Node.SyncStateAsync()).Sequence);
        Assert.Equal(Reason.Registered, (await Node.CheckAsync("35693803564380", "996700000001")).Reason);
    }

    [Fact]
    public async Task Apply_SameIdSameContent_DuplicateWithOriginalSequenceNotAppliedAgain()
    {
        var first = await Node.ApplyOneAsync("dup", D.Bind("35209900176148", "996700111111"));
        var other = await Node.ApplyOneAsync("other", D.Bind("35209900176148", "996700222222"));
        var again = await Node.ApplyOneAsync("dup", D.Bind("35209900176148", "996700111111"));

        Assert.True(first.Accepted);
        Assert.False(first.Duplicate);
        Assert.True(again.Accepted);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(first.Sequence + 1, other.Sequence);
        var state = await Node.SyncStateAsync();
        Assert.Equal(2UL, state.Sequence);
        Assert.Equal(2UL, state.Bindings);
    }

    [Fact]
    public async Task Apply_SameIdOtherContent_RefusedAndNothingApplied()
    {
        Assert.True((await Node.ApplyOneAsync("id-1", D.Bind("35209900176148", "996700111111"))).Accepted);

        var reused = await Node.ApplyOneAsync("id-1", D.Bind("35209900176148", "996700999999"));

        Assert.False(reused.Accepted);
        Assert.Contains("different content", reused.Error, StringComparison.Ordinal);
        Assert.Equal(1UL, (await Node.SyncStateAsync()).Bindings);
    }

    [Fact]
    public async Task Apply_RejectedBatchId_CanBeReusedByCorrectedRetry()
    {
        var bad = await Node.ApplyOneAsync("retry-me", D.Bind("35209900176148", "bad"));
        var good = await Node.ApplyOneAsync("retry-me", D.Bind("35209900176148", "996700111111"));

        Assert.False(bad.Accepted);
        Assert.True(good.Accepted);
        Assert.False(good.Duplicate);
    }

    [Fact]
    public async Task Apply_BatchLevelFaults_ErrorAndNothingApplied()
    {
        var noId = await Node.ApplyOneAsync("", D.Bind("35209900176148", "996700111111"));
        var empty = await Node.ApplyOneAsync("empty");
        var tooLarge = await Node.ApplyOneAsync("big", Enumerable.Range(0, 6).Select(i => D.Bind("35209900176148", $"99670011111{i}")).ToArray());

        Assert.False(noId.Accepted);
        Assert.Contains("batch_id", noId.Error, StringComparison.Ordinal);
        Assert.False(empty.Accepted);
        Assert.Contains("deltas", empty.Error, StringComparison.Ordinal);
        Assert.False(tooLarge.Accepted);
        Assert.Contains("at most 5", tooLarge.Error, StringComparison.Ordinal);
        Assert.Equal(0UL, (await Node.SyncStateAsync()).Sequence);
    }

    [Fact]
    public async Task Apply_ManyBatchesOnOneStream_AckedInOrderWithConsecutiveSequences()
    {
        var batches = Enumerable.Range(0, 20).Select(i =>
        {
            var b = new DeltaBatch { BatchId = $"seq-{i}" };
            b.Deltas.Add(D.Register($"dev-{i}", $"3569380356{i:D4}"));
            return b;
        }).ToArray();

        var acks = await Node.ApplyAsync(batches);

        Assert.Equal(batches.Select(b => b.BatchId), acks.Select(a => a.BatchId));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)i), acks.Select(a => a.Sequence));
        var state = await Node.SyncStateAsync();
        Assert.Equal(20UL, state.RegisteredImeis);
        Assert.NotNull(state.LastAppliedAt);
    }

    [Fact]
    public async Task Apply_AllDeltaKinds_CountsAndVerdictsFollow()
    {
        var ack = await Node.ApplyOneAsync(
            "all-1",
            D.Register("dev-1", "35693803564380", "35693803564398"),
            D.Bind("35209900176148", "996700111111", "437010000000001"),
            D.Bind("35209900176148", "996700111111"),
            D.Stolen("35332206453425"),
            D.Subscriber("437050000000009", "996700222222"));
        Assert.True(ack.Accepted, string.Join(";", ack.Errors));
        var s1 = await Node.SyncStateAsync();
        Assert.Equal((2UL, 2UL, 1UL, 1UL), (s1.RegisteredImeis, s1.Bindings, s1.StolenImeis, s1.Subscribers));

        ack = await Node.ApplyOneAsync(
            "all-2",
            D.Unregister("dev-1"),
            D.Unbind("35209900176148", "996700111111", "437010000000001"),
            D.ClearStolen("35332206453425"),
            D.RemoveSubscriber("437050000000009"),
            D.Switch("996700111111", "996700555555", "35209900176148"));
        Assert.True(ack.Accepted, string.Join(";", ack.Errors));
        var s2 = await Node.SyncStateAsync();
        Assert.Equal((0UL, 1UL, 0UL, 0UL, 2UL), (s2.RegisteredImeis, s2.Bindings, s2.StolenImeis, s2.Subscribers, s2.Sequence));
        Assert.Equal(Reason.BoundSubscriber, (await Node.CheckAsync("35209900176148", "996700555555")).Reason);
        Assert.Equal(Reason.NumberSwitchGrace, (await Node.CheckAsync("35209900176148", "996700111111")).Reason);
        Assert.Equal(Reason.NotRegistered, (await Node.CheckAsync("35693803564380", "996700111111")).Reason);
    }

    [Fact]
    public async Task Apply_SwitchWithoutImeiInRegistryBatch_Rejected()
    {
        var ack = await Node.ApplyOneAsync("sw", D.Switch("996700111111", "996700555555", ""));

        Assert.False(ack.Accepted);
        Assert.Contains("switch_number.imei is required", ack.Errors.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwitchNumber_SelfService_WithAndWithoutImei()
    {
        Assert.True((await Node.ApplyOneAsync("s", D.Bind("35209900176148", "996700111111"), D.Bind("35332206453425", "996700111111"))).Accepted);
        var ussd = TestNode.Auth(TestNode.SelfServiceKey);

        // Nothing checked with the new number yet: nothing to switch.
        var none = await Assert.ThrowsAsync<RpcException>(async () => await Node.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = "996700111111", NewMsisdn = "996700555555" }, ussd));
        Assert.Equal(StatusCode.FailedPrecondition, none.StatusCode);

        Assert.Equal(Reason.NumberSwitchGrace, (await Node.CheckAsync("35209900176148", "996700555555")).Reason);
        var switched = await Node.SelfService.SwitchNumberAsync(new SwitchNumberRequest { PreviousMsisdn = "+996700111111", NewMsisdn = "700555555" }, ussd);

        Assert.Equal(["35209900176148"], switched.SwitchedImeis);
        Assert.Equal(Reason.BoundSubscriber, (await Node.CheckAsync("35209900176148", "996700555555")).Reason);
        Assert.Equal(Reason.BoundSubscriber, (await Node.CheckAsync("35332206453425", "996700111111")).Reason);
        var status = await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "35209900176148" }, ussd);
        Assert.Equal(["996*****5555"], status.BoundNumbersMasked);

        var byImei = await Node.SelfService.SwitchNumberAsync(new SwitchNumberRequest { PreviousMsisdn = "996700111111", NewMsisdn = "996700666666", Imei = "35332206453425" }, ussd);
        Assert.Equal(["35332206453425"], byImei.SwitchedImeis);
        Assert.Equal(switched.Sequence + 1, byImei.Sequence);

        var notBound = await Assert.ThrowsAsync<RpcException>(async () => await Node.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = "996700111111", NewMsisdn = "996700777777", Imei = "35332206453425" }, ussd));
        Assert.Equal(StatusCode.FailedPrecondition, notBound.StatusCode);
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await Node.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = "x", NewMsisdn = "996700777777" }, ussd));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.StartsWith("previous_msisdn", bad.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDeviceStatus_RegisteredStolenClone_ReportsAndMasks()
    {
        var binds = Enumerable.Range(0, 12).Select(i => D.Bind("00000000000000", $"9967001234{i:D2}")).ToList();
        Assert.True((await Node.ApplyOneAsync("g1", D.Register("DEV-9", "35693803564380"), D.Stolen("35693803564380"))).Accepted);
        foreach (var chunk in binds.Chunk(5).Select((c, i) => (c, i)))
        {
            Assert.True((await Node.ApplyOneAsync($"g-b{chunk.i}", chunk.c)).Accepted);
        }

        var ussd = TestNode.Auth(TestNode.SelfServiceKey);
        var device = await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "356938035643809" }, ussd);
        var clone = await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "00000000000000" }, ussd);

        Assert.True(device.Registered);
        Assert.True(device.Stolen);
        Assert.Equal("DEV-9", device.DeviceId);
        Assert.False(clone.Registered);
        Assert.Equal(12u, clone.BoundNumbers);
        Assert.Equal(10, clone.BoundNumbersMasked.Count);
        Assert.Equal("996*****3400", clone.BoundNumbersMasked[0]);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "1" }, ussd));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }
}
