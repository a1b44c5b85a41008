using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using ImeiEir.LoadTest.Sync;
using ImeiEir.Server.Grpc;
using ImeiEir.Storage;

namespace ImeiEir.Benchmarks;

/// <summary>
/// <c>--sync</c>: where a node's CPU goes per delta of a saturating sync, stage by stage, in process (no sockets, no
/// Redis): the 2 M data set's snapshot and device directory, then `lt sync`'s churn (50 % RegisterDevice, 30 %
/// UpsertSubscriber, 20 % Bind) in 10 000-delta batches through what the node does to each: parse the protobuf
/// batch, hash it (<c>ProtoMapping.ContentHash</c>), map it to core deltas, plan it (<see cref="BatchPlanner"/>),
/// stage and publish it in the index (compactions included), encode its log fields, apply its device changes to the
/// directory. Prints µs and bytes allocated per delta by stage, and the collections meanwhile.
/// </summary>
internal static class SyncStages
{
    private static readonly string[] Names = ["parse", "hash", "map", "plan", "stage+publish", "encode", "directory", "  of stage: compacting batches"];

    // CPU time of this thread (getrusage RUSAGE_THREAD, Linux), in ticks of 100 ns: the machine may be shared, wall
    // time would count the time other processes had the core. With DOTNET_gcConcurrent=0 and workstation GC the
    // collections run on this thread and count to the stage that triggered them.
    private static long ThreadCpu()
    {
        _ = getrusage(1, out var u);
        return ((u.UserSec + u.SysSec) * 10_000_000) + ((u.UserUsec + u.SysUsec) * 10);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int getrusage(int who, out RUsage usage);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec;
        public long UserUsec;
        public long SysSec;
        public long SysUsec;
        public long Rest0, Rest1, Rest2, Rest3, Rest4, Rest5, Rest6, Rest7, Rest8, Rest9, Rest10, Rest11, Rest12, Rest13;
    }

    public static int Run(int registeredImeis, int batches, int batchSize)
    {
        var data = TestData.DataSet(registeredImeis);
        var keys = data.RegisteredKeysSorted();
        // Index:CompactionMinimumChanges from SYNC_COMPACTION_MINIMUM (default: the node's).
        var minimum = Environment.GetEnvironmentVariable("SYNC_COMPACTION_MINIMUM") is { Length: > 0 } m ? long.Parse(m, CultureInfo.InvariantCulture) : new IndexOptions().CompactionMinimumChanges;
        var index = new EirIndex(new IndexOptions { CompactionMinimumChanges = minimum });
        index.Load(TestData.Snapshot(data, keys), 0);
        var devices = new DeviceDirectory();
        foreach (var d in data.Devices())
        {
            devices.Add(d.Id.ToString(CultureInfo.InvariantCulture), d.IsDual ? [d.Imei1, d.Imei2] : [d.Imei1]);
        }

        Console.WriteLine($"loaded: {index.Current.Counts.RegisteredImeis:N0} registered IMEIs, {devices.Count:N0} devices");
        var planner = new BatchPlanner(new PolicyOptions());
        var payloads = new byte[batches][];
        for (var b = 0; b < batches; b++)
        {
            var batch = new DeltaBatch { BatchId = $"stages-{b}" };
            batch.Deltas.AddRange(SyncChurn.Deltas(7, (long)b * batchSize, batchSize));
            payloads[b] = batch.ToByteArray();
        }

        var ticks = new long[Names.Length];
        var bytes = new long[Names.Length];
        var warmup = Math.Min(20, batches / 5);
        var gc = (0, 0, 0);
        var pause = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++)
        {
            if (b == warmup)
            {
                Array.Clear(ticks);
                Array.Clear(bytes);
                gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                pause = GC.GetTotalPauseDuration();
                total.Restart();
            }

            var stage = 0;
            var t = ThreadCpu();
            var a = GC.GetAllocatedBytesForCurrentThread();
            void Lap()
            {
                var now = ThreadCpu();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                ticks[stage] += now - t;
                bytes[stage] += allocated - a;
                stage++;
                t = now;
                a = allocated;
            }

            var parsed = DeltaBatch.Parser.ParseFrom(payloads[b]);
            Lap();
            var hash = ProtoMapping.ContentHash(parsed);
            Lap();
            using var deltas = ProtoMapping.ToCore(parsed);

            Lap();
            var view = index.Current;
            var plan = planner.Plan(deltas, view, devices);
            if (!plan.IsValid || hash.Length == 0)
            {
                throw new InvalidOperationException($"batch {b}: {plan.Errors[0].Message}");
            }

            Lap();
            var compactions = index.Compactions;
            var stageFrom = t;
            var staged = index.Stage(view.Sequence + 1, plan.Effect, DateTimeOffset.UnixEpoch);
            index.Publish(staged);
            Lap();
            if (index.Compactions != compactions)
            {
                ticks[^1] += t - stageFrom;
            }

            var mutations = ArrayPool<byte>.Shared.Rent(plan.Mutations.Count * MutationCodec.Size);
            var changes = ArrayPool<byte>.Shared.Rent(Math.Max(1, DeviceChangeCodec.SizeOf(plan)));
            _ = MutationCodec.Encode(plan.Mutations, mutations);
            _ = DeviceChangeCodec.Encode(plan, changes);
            ArrayPool<byte>.Shared.Return(mutations);
            ArrayPool<byte>.Shared.Return(changes);
            Lap();
            devices.Apply(plan);
            Lap();
        }

        var measured = (double)(batches - warmup) * batchSize;
        var sum = 0.0;
        for (var s = 0; s < Names.Length; s++)
        {
            var us = ticks[s] / 10.0 / measured;
            sum += s < Names.Length - 1 ? us : 0;
            Console.WriteLine($"{Names[s],-14} {us,7:F3} µs/delta {bytes[s] / measured,8:F0} B/delta");
        }

        Console.WriteLine($"{"total",-14} {sum,7:F3} µs/delta ({1e6 / sum:N0} deltas/s of one core); " +
            $"GCs gen0/1/2 {GC.CollectionCount(0) - gc.Item1}/{GC.CollectionCount(1) - gc.Item2}/{GC.CollectionCount(2) - gc.Item3}, " +
            $"pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F0} ms, compactions {index.Compactions}");
        return 0;
    }
}
