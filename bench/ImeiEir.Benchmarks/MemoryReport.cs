using System.Globalization;
using System.Runtime.InteropServices;
using ImeiEir.Core.Index;
using Roaring.Net.CRoaring;

namespace ImeiEir.Benchmarks;

/// <summary>
/// Bytes per registered IMEI of the three sets, measured outside BenchmarkDotNet (which reports allocation, not
/// retention): the managed heap retained after a full GC around building each managed set, and glibc's count of
/// bytes in use (mallinfo2) around building the native Roaring bitmap, next to Roaring's own size figures.
/// </summary>
public static partial class MemoryReport
{
    public static int Run(IEnumerable<int> sizes, TextWriter output)
    {
        output.WriteLine("| Registered IMEIs | Keys | HashSet<long> B/key | CompactKeySet B/key | Roaring64 B/key (malloc) | Roaring64 B/key (portable serialized) | CompactKeySet vs HashSet | CompactKeySet vs Roaring | CompactKeySet containers (array/bitmap/run) | Roaring containers (array/bitmap/run) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var size in sizes)
        {
            TestData.KeepOnly(size);
            var keys = TestData.Keys(size);
            var n = (double)keys.Length;

            var (hashBytes, _) = Retained(() => new HashSet<long>(keys));
            var (compactBytes, compact) = Retained(() => CompactKeySet.FromSorted(keys));
            var containers = ((CompactKeySet)compact!).ContainerCounts;
            var reported = ((CompactKeySet)compact!).MemoryBytes;
            compactBytes += ((CompactKeySet)compact!).NativeBytes; // its data is in native memory (huge pages), not on the GC heap
            compact = null;

            var before = NativeBytesInUse();
            var roaring = Roaring64Bitmap.FromValues(MemoryMarshal.Cast<long, ulong>(keys.AsSpan()));
            roaring.Optimize();
            roaring.ShrinkToFit();
            var roaringBytes = NativeBytesInUse() - before;
            var serialized = (long)roaring.GetSerializationSize(SerializationFormat.Portable);
            var stats = roaring.GetStatistics();
            roaring.Dispose();

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {keys.Length:N0} | {hashBytes / n:F2} | {compactBytes / n:F3} (own count {reported / n:F3}) | {roaringBytes / n:F3} | {serialized / n:F3} | " +
                $"1/{hashBytes / (double)compactBytes:F1} | {compactBytes / (double)roaringBytes:F2}× | {containers.Arrays:N0}/{containers.Bitmaps:N0}/{containers.Runs:N0} | " +
                $"{stats.ArrayContainerCount:N0}/{stats.BitsetContainerCount:N0}/{stats.RunContainerCount:N0} |"));
        }

        return 0;
    }

    /// <summary>Managed bytes still held after building (full blocking GC before and after), and the object.</summary>
    private static (long Bytes, object? Value) Retained(Func<object> build)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var value = build();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(value);
        return (after - before, value);
    }

    /// <summary>glibc heap bytes in use by the process: small-block arenas plus mmap'd large blocks.</summary>
    private static long NativeBytesInUse()
    {
        var m = MallInfo2();
        return (long)(m.Uordblks + m.Hblkhd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2Result
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2Result MallInfo2();
}
