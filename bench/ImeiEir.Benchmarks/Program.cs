using BenchmarkDotNet.Running;
using ImeiEir.Benchmarks;
using ImeiEir.DataGen;

// Modes: (default) BenchmarkDotNet switcher (--filter '*Lookup*' ...); --memory: bytes-per-key table for
// 1/10/100 M (or IMEIEIR_BENCH_SIZES); --dataset N: summary of the generated data set of N registered IMEIs;
// --lookup N, --apply, --compact: timing loops (see RESULTS.md); --directory [devices] [rounds]: the device directory's
// growth and read-back, paged against the doubling one it replaced (DirectoryProbe).
if (args is ["--directory", ..])
{
    return DirectoryProbe.Run(args, Console.Out);
}

if (args is ["--memory", ..])
{
    return MemoryReport.Run(Sizes.Registered(), Console.Out);
}

if (args is ["--dataset", var n, ..])
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var data = new NationalDataSet(DataSetOptions.ForRegisteredImeis(long.Parse(n, System.Globalization.CultureInfo.InvariantCulture)));
    Console.WriteLine(data.Summarize());
    Console.WriteLine($"summary walk: {watch.Elapsed.TotalSeconds:F1} s");
    watch.Restart();
    var keys = data.RegisteredKeysSorted();
    Console.WriteLine($"sorted keys: {keys.Length:N0} in {watch.Elapsed.TotalSeconds:F1} s");
    for (var i = 1; i < keys.Length; i++)
    {
        if (keys[i] <= keys[i - 1])
        {
            Console.Error.WriteLine($"keys not strictly ascending at {i}: {keys[i - 1]} then {keys[i]}");
            return 1;
        }
    }
    // Cross-check of the compact set on realistic clustering: every key found at its rank, every probe answered
    // like a binary search of the sorted keys.
    var set = ImeiEir.Core.Index.CompactKeySet.FromSorted(keys);
    for (var i = 0; i < keys.Length; i++)
    {
        if (!set.Contains(keys[i]) || !set.Rank(keys[i], out var rank) || rank != i)
        {
            Console.Error.WriteLine($"CompactKeySet lost key {keys[i]} (index {i})");
            return 1;
        }
    }

    foreach (var p in TestData.Probes(data, keys, 1 << 20))
    {
        if (set.Contains(p) != Array.BinarySearch(keys, p) >= 0)
        {
            Console.Error.WriteLine($"CompactKeySet disagrees on probe {p}");
            return 1;
        }
    }

    Console.WriteLine($"CompactKeySet agrees on all keys and 2^20 probes; {set.MemoryBytes / (double)keys.Length:F3} B/key, containers {set.ContainerCounts}");
    return 0;
}

if (args is ["--lookup", var size, ..])
{
    // A quick interleaved check outside BenchmarkDotNet (best of 7 rounds each), for tuning on a busy machine.
    var imeis = int.Parse(size, System.Globalization.CultureInfo.InvariantCulture);
    var keys = TestData.Keys(imeis);
    var probes = TestData.Probes(TestData.DataSet(imeis), keys, TestData.ProbeCount);
    var hash = new HashSet<long>(keys);
    var compact = ImeiEir.Core.Index.CompactKeySet.FromSorted(keys);
    if (File.Exists("/proc/self/smaps_rollup"))
    {
        // Whether the kernel backed the compact set with transparent huge pages (see NativeBlock); the GC heap has none.
        var huge = File.ReadLines("/proc/self/smaps_rollup").FirstOrDefault(l => l.StartsWith("AnonHugePages:", StringComparison.Ordinal));
        Console.WriteLine($"CompactKeySet {compact.MemoryBytes / 1048576.0:F1} MiB; process {huge?.Replace("  ", "", StringComparison.Ordinal)}");
    }

    // Best of 7 interleaved rounds over the same probes; null if the two sets disagree on the number of hits.
    (double Hash, double Compact)? Best(long[] subset)
    {
        double bestHash = double.MaxValue, bestCompact = double.MaxValue;
        for (var round = 0; round < 7; round++)
        {
            var w = System.Diagnostics.Stopwatch.StartNew();
            var h = 0;
            foreach (var k in subset)
            {
                h += hash.Contains(k) ? 1 : 0;
            }

            bestHash = Math.Min(bestHash, w.Elapsed.TotalNanoseconds / subset.Length);
            w.Restart();
            var c = 0;
            foreach (var k in subset)
            {
                c += compact.Contains(k) ? 1 : 0;
            }

            bestCompact = Math.Min(bestCompact, w.Elapsed.TotalNanoseconds / subset.Length);
            if (h != c)
            {
                Console.Error.WriteLine($"hits differ: {h} vs {c}");
                return null;
            }
        }

        return (bestHash, bestCompact);
    }

    if (Best(probes) is not { } all)
    {
        return 1;
    }

    Console.WriteLine($"{imeis:N0}: HashSet {all.Hash:F1} ns, CompactKeySet {all.Compact:F1} ns, ratio {all.Compact / all.Hash:F2}");

    // The same, hits only and misses only: where the difference comes from.
    foreach (var (name, subset) in new[] { ("hits", probes.Where(hash.Contains).ToArray()), ("misses", probes.Where(p => !hash.Contains(p)).ToArray()) })
    {
        if (Best(subset) is not { } part)
        {
            return 1;
        }

        Console.WriteLine($"  {name,-6}: HashSet {part.Hash:F1} ns, CompactKeySet {part.Compact:F1} ns, ratio {part.Compact / part.Hash:F2}");
    }

    return 0;
}

if (args is ["--apply", ..])
{
    // The ApplyBenchmarks workload with a progress line per 100 000 mutations (to see where time goes).
    var data = TestData.DataSet(10_000_000);
    var keys = data.RegisteredKeysSorted();
    var w = System.Diagnostics.Stopwatch.StartNew();
    var snapshot = TestData.Snapshot(data, keys);
    Console.WriteLine($"snapshot: {w.Elapsed.TotalSeconds:F1} s");
    w.Restart();
    var mutations = ApplyBenchmarks.Mutations(data, keys);
    Console.WriteLine($"mutations: {w.Elapsed.TotalSeconds:F1} s");
    var index = new ImeiEir.Core.Index.EirIndex();
    index.Load(snapshot, 0);
    w.Restart();
    for (var i = 0; i < mutations.Length; i += ApplyBenchmarks.BatchSize)
    {
        index.Apply((i / ApplyBenchmarks.BatchSize) + 1, mutations.AsSpan(i, ApplyBenchmarks.BatchSize), DateTimeOffset.UnixEpoch);
        if ((i + ApplyBenchmarks.BatchSize) % 100_000 == 0)
        {
            Console.WriteLine($"{i + ApplyBenchmarks.BatchSize:N0} applied: {w.Elapsed.TotalSeconds:F1} s, compactions {index.Compactions}, overlay {index.Current.OverlayEntries:N0}");
        }
    }

    return 0;
}

if (args is ["--sync", ..])
{
    // Where a saturating sync's CPU goes per delta, stage by stage, in process (SyncStages).
    return SyncStages.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000_000, 300, 10_000);
}

if (args is ["--compact", ..])
{
    // One compaction at the national scale: the 10 M data set's snapshot, then each 250 000 of the ApplyBenchmarks
    // mutations folded in by EirIndex.Compact (timed, wall and CPU), and the checkpoint serialisation of the result.
    var data = TestData.DataSet(10_000_000);
    var keys = data.RegisteredKeysSorted();
    var snapshot = TestData.Snapshot(data, keys);
    var mutations = ApplyBenchmarks.Mutations(data, keys);
    var index = new ImeiEir.Core.Index.EirIndex(new ImeiEir.Core.Index.IndexOptions { CompactionMinimumChanges = long.MaxValue });
    index.Load(snapshot, 0);
    Console.WriteLine($"snapshot: {snapshot.Registered.Count:N0} registered, {snapshot.Bindings.RecordCount:N0} bindings, {snapshot.Subscribers.Count:N0} subscribers");
    const int PerCompaction = 250_000;
    var sequence = 0L;
    var process = System.Diagnostics.Process.GetCurrentProcess();
    for (var start = 0; start + PerCompaction <= mutations.Length; start += PerCompaction)
    {
        for (var i = start; i < start + PerCompaction; i += ApplyBenchmarks.BatchSize)
        {
            index.Apply(++sequence, mutations.AsSpan(i, ApplyBenchmarks.BatchSize), DateTimeOffset.UnixEpoch);
        }

        var overlay = index.Current.OverlayEntries;
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var w = System.Diagnostics.Stopwatch.StartNew();
        var view = index.Compact();
        var compactMs = w.Elapsed.TotalMilliseconds;
        process.Refresh();
        var compactCpu = (process.TotalProcessorTime - cpu).TotalMilliseconds;
        w.Restart();
        using var stream = new MemoryStream();
        ImeiEir.Core.Index.SnapshotFormat.Write(stream, view.Snapshot, view.Sequence);
        Console.WriteLine($"compact {overlay:N0} changes: {compactMs:F0} ms wall, {compactCpu:F0} ms CPU; checkpoint serialisation {w.Elapsed.TotalMilliseconds:F0} ms, {stream.Length:N0} B");
    }

    return 0;
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig());
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
