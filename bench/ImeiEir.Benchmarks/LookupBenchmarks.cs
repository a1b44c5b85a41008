using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Index;
using Roaring.Net.CRoaring;

namespace ImeiEir.Benchmarks;

/// <summary>
/// Random membership lookups, hits and misses 50/50, over the registered IMEIs of a synthetic national data set:
/// <see cref="CompactKeySet"/> against a <see cref="HashSet{T}"/> of the same keys (baseline) and a 64-bit Roaring
/// bitmap (CRoaring's roaring64 through Roaring.Net, run-optimised). Each set is built only for its own benchmark.
/// </summary>
public class LookupBenchmarks
{
    private long[] _probes = [];
    private ulong[] _unsignedProbes = [];
    private HashSet<long>? _hashSet;
    private CompactKeySet? _compact;
    private Roaring64Bitmap? _roaring;

    [ParamsSource(typeof(Sizes), nameof(Sizes.Registered))]
    public int Imeis { get; set; }

    [GlobalSetup(Target = nameof(HashSetContains))]
    public void SetupHashSet()
    {
        var keys = Prepare();
        _hashSet = new HashSet<long>(keys);
    }

    [GlobalSetup(Target = nameof(CompactKeySetContains))]
    public void SetupCompact()
    {
        var keys = Prepare();
        _compact = CompactKeySet.FromSorted(keys);
        if (File.Exists("/proc/self/smaps_rollup"))
        {
            // Whether the kernel backed the set with transparent huge pages (see NativeBlock): shown in the log.
            Console.WriteLine($"// CompactKeySet {_compact.MemoryBytes:N0} B; process {File.ReadLines("/proc/self/smaps_rollup").FirstOrDefault(l => l.StartsWith("AnonHugePages:", StringComparison.Ordinal))}");
        }
    }

    [GlobalSetup(Target = nameof(Roaring64Contains))]
    public void SetupRoaring()
    {
        var keys = Prepare();
        _roaring = Roaring64Bitmap.FromValues(System.Runtime.InteropServices.MemoryMarshal.Cast<long, ulong>(keys.AsSpan()));
        _roaring.Optimize();
        _unsignedProbes = [.. _probes.Select(p => (ulong)p)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hashSet = null;
        _compact = null;
        _roaring?.Dispose();
        _roaring = null;
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = TestData.ProbeCount)]
    public int HashSetContains()
    {
        var set = _hashSet!;
        var hits = 0;
        foreach (var k in _probes)
        {
            if (set.Contains(k))
            {
                hits++;
            }
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = TestData.ProbeCount)]
    public int CompactKeySetContains()
    {
        var set = _compact!;
        var hits = 0;
        foreach (var k in _probes)
        {
            if (set.Contains(k))
            {
                hits++;
            }
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = TestData.ProbeCount)]
    public int Roaring64Contains()
    {
        var set = _roaring!;
        var hits = 0;
        foreach (var k in _unsignedProbes)
        {
            if (set.Contains(k))
            {
                hits++;
            }
        }

        return hits;
    }

    private long[] Prepare()
    {
        TestData.KeepOnly(Imeis);
        var keys = TestData.Keys(Imeis);
        _probes = TestData.Probes(TestData.DataSet(Imeis), keys, TestData.ProbeCount);
        return keys;
    }
}
