using System.Diagnostics;
using System.Globalization;
using ImeiEir.Benchmarks.Baseline;
using ImeiEir.Core.Registry;
using ImeiEir.DataGen;

namespace ImeiEir.Benchmarks;

/// <summary>
/// <c>--directory [devices] [rounds]</c>: the device directory growing from empty to the national generator's devices
/// (default 1 740 000: 2.0 M IMEIs), one registration at a time as a sync applies them — the longest single insert
/// (max, p99.99, p99.9), gen-2 collections, GC pause time and bytes allocated while it grows — then its checkpoint form
/// read back (4 MiB chunks, as from Redis). The paged directory (<see cref="DeviceDirectory"/>) against the doubling
/// one it replaced (<see cref="DoublingDeviceDirectory"/>), alternating in each round; medians at the end.
/// </summary>
internal static class DirectoryProbe
{
    private const int ChunkBytes = 4 << 20;

    public static int Run(string[] args, TextWriter output)
    {
        var devices = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_740_000;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var data = new NationalDataSet(new DataSetOptions { Devices = devices });
        var ids = new List<string>();
        var first = new List<long>();
        var second = new List<long>();
        foreach (var d in data.Devices())
        {
            ids.Add("KG" + d.Id.ToString("D10", CultureInfo.InvariantCulture)); // the load generator's ids
            first.Add(d.Imei1);
            second.Add(d.Imei2);
        }

        output.WriteLine($"{ids.Count:N0} devices, {ids.Count + second.Count(i => i >= 0):N0} IMEIs; {rounds} rounds; GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        output.WriteLine("| build | round | grow s | max insert µs | at insert | p99.99 µs | p99.9 µs | gen-2 GCs | GC pause ms | allocated MB | held MB | read back ms |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        // JIT and tiering out of the way: each build grows a throwaway directory first.
        var warm = Math.Min(200_000, ids.Count);
        Measure(new Doubling(), ids[..warm], first, second);
        Measure(new Paged(), ids[..warm], first, second);
        var results = new Dictionary<string, List<double[]>> { ["doubling (before)"] = [], ["paged (after)"] = [] };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var build in results.Keys)
            {
                var figures = build.StartsWith("doubling", StringComparison.Ordinal)
                    ? Measure(new Doubling(), ids, first, second)
                    : Measure(new Paged(), ids, first, second);
                results[build].Add(figures);
                output.WriteLine($"| {build} | {round} | {string.Join(" | ", figures.Select(f => f.ToString("F1", CultureInfo.InvariantCulture)))} |");
            }
        }

        foreach (var (build, all) in results)
        {
            var medians = Enumerable.Range(0, all[0].Length).Select(i => all.Select(f => f[i]).Order().ElementAt(all.Count / 2));
            output.WriteLine($"| {build} | median | {string.Join(" | ", medians.Select(f => f.ToString("F1", CultureInfo.InvariantCulture)))} |");
        }

        return 0;
    }

    private static double[] Measure(IDirectory directory, List<string> ids, List<long> first, List<long> second)
    {
        var times = new long[ids.Count];
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var grow = Stopwatch.StartNew();
        Span<long> imeis = stackalloc long[2];
        for (var i = 0; i < ids.Count; i++)
        {
            imeis[0] = first[i];
            imeis[1] = second[i];
            var started = Stopwatch.GetTimestamp();
            directory.Add(ids[i], second[i] >= 0 ? imeis : imeis[..1]);
            times[i] = Stopwatch.GetTimestamp() - started;
        }

        var growSeconds = grow.Elapsed.TotalSeconds;
        var gen2Count = GC.CollectionCount(2) - gen2;
        var pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
        var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
        var slowest = Array.IndexOf(times, times.Max());
        Array.Sort(times);
        double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

        using var stream = new MemoryStream();
        directory.WriteTo(stream);
        var chunks = stream.ToArray().Chunk(ChunkBytes).ToArray();
        var read = Stopwatch.StartNew();
        directory.ReadFrom(chunks);
        var readMs = read.Elapsed.TotalMilliseconds;
        return [
            growSeconds, Micros(times[^1]), slowest, Micros(times[(int)(times.Length * 0.9999)]), Micros(times[(int)(times.Length * 0.999)]),
            gen2Count, pauseMs, allocatedMb, directory.BytesHeld / 1048576.0, readMs];
    }

    private interface IDirectory
    {
        long BytesHeld { get; }

        void Add(string id, ReadOnlySpan<long> imeis);

        void WriteTo(Stream output);

        void ReadFrom(IReadOnlyList<byte[]> chunks);
    }

    private sealed class Doubling : IDirectory
    {
        private readonly DoublingDeviceDirectory _directory = new();

        public long BytesHeld => _directory.BytesHeld;

        public void Add(string id, ReadOnlySpan<long> imeis) => _directory.Add(id, imeis);

        public void WriteTo(Stream output) => _directory.WriteTo(output);

        public void ReadFrom(IReadOnlyList<byte[]> chunks) => GC.KeepAlive(DoublingDeviceDirectory.ReadFrom(chunks));
    }

    private sealed class Paged : IDirectory
    {
        private readonly DeviceDirectory _directory = new();

        public long BytesHeld => _directory.BytesHeld;

        public void Add(string id, ReadOnlySpan<long> imeis) => _directory.Add(id, imeis);

        public void WriteTo(Stream output) => _directory.WriteTo(output);

        public void ReadFrom(IReadOnlyList<byte[]> chunks) => GC.KeepAlive(DeviceDirectory.ReadFrom(chunks));
    }
}
