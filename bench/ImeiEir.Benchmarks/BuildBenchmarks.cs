using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Index;
using Roaring.Net.CRoaring;

namespace ImeiEir.Benchmarks;

/// <summary>
/// Building a snapshot set from 10 M sorted registered keys (what hydration and compaction do), with the same
/// build of the two baselines for scale. Op/s is keys per second.
/// </summary>
public class BuildBenchmarks
{
    public const int KeyCount = 10_000_000;

    private long[] _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        // A data set a little larger than 10 M, cut at exactly 10 M keys so OperationsPerInvoke is exact.
        var keys = TestData.DataSet(10_100_000).RegisteredKeysSorted();
        _keys = keys.AsSpan(0, KeyCount).ToArray();
    }

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public long BuildCompactKeySet() => CompactKeySet.FromSorted(_keys).Count;

    [Benchmark(Baseline = true, OperationsPerInvoke = KeyCount)]
    public long BuildHashSet() => new HashSet<long>(_keys).Count;

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public long BuildRoaring64()
    {
        using var bitmap = Roaring64Bitmap.FromValues(System.Runtime.InteropServices.MemoryMarshal.Cast<long, ulong>(_keys.AsSpan()));
        bitmap.Optimize();
        return (long)bitmap.Count;
    }
}
