using System.Runtime.InteropServices;

namespace ImeiEir.Core.Index;

/// <summary>
/// Zeroed native memory for the arrays of a <see cref="CompactKeySet"/>, backed by 2 MiB transparent huge pages on
/// Linux when it is large enough to gain from them, freed when the handle is finalized (or disposed).
/// </summary>
/// <remarks>
/// Why not the managed heap: once a set outgrows the L3 cache every lookup reaches DRAM at a random address, and with
/// 4 KiB pages it also misses the TLB (a 100 MB set spans 25 000 pages; the second-level TLB holds about 3 000).
/// Transparent huge pages are often configured <c>madvise</c> (only regions that ask get them), and the .NET GC does
/// not ask, so the set maps its own memory, aligned on 2 MiB, and asks with <c>madvise(MADV_HUGEPAGE)</c> before the
/// first write: a 100 MB set then sits in about 50 TLB entries. Whether the kernel granted them shows as
/// <c>AnonHugePages</c> in <c>/proc/self/smaps</c>; when it does not (THP <c>never</c>, no contiguous memory) the
/// memory is ordinary 4 KiB pages and everything still works.
/// </remarks>
internal sealed partial class NativeBlock : SafeHandle
{
    /// <summary>Below this a set fits the caches and the TLB anyway; not worth a mapping of its own.</summary>
    private const long HugePageThreshold = 4L << 20;
    private const long HugePage = 2L << 20;
    private const int ProtReadWrite = 0x1 | 0x2;          // PROT_READ | PROT_WRITE
    private const int MapPrivateAnonymous = 0x02 | 0x20;  // MAP_PRIVATE | MAP_ANONYMOUS (x86-64 and arm64)
    private const int MadvHugePage = 14;                  // MADV_HUGEPAGE

    private readonly bool _mapped;

    private NativeBlock(nint address, long bytes, bool mapped)
        : base(nint.Zero, ownsHandle: true)
    {
        SetHandle(address);
        Bytes = bytes;
        _mapped = mapped;
        GC.AddMemoryPressure(bytes);
    }

    /// <summary>Bytes of memory held (the request rounded up to whole 4 KiB pages when mapped).</summary>
    public long Bytes { get; }

    /// <summary>Whether the block was mapped on its own with <c>MADV_HUGEPAGE</c> (else it came from malloc).</summary>
    public bool HugePagesRequested => _mapped;

    public nint Address => handle;

    public override bool IsInvalid => handle == nint.Zero;

    /// <summary>Zeroed memory of at least <paramref name="bytes"/> bytes, 64-byte aligned (2 MiB when mapped).</summary>
    public static unsafe NativeBlock Allocate(long bytes)
    {
        bytes = Math.Max(bytes, 64);
        if (bytes >= HugePageThreshold && OperatingSystem.IsLinux())
        {
            var length = (bytes + 4095) & ~4095L;
            var reserved = length + HugePage;
            var raw = Mmap(nint.Zero, (nuint)reserved, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (raw != -1)
            {
                // Over-map by 2 MiB, then give back the unaligned head and the tail, so the kernel can back every
                // aligned 2 MiB of the block with one huge page and nothing beyond the request stays mapped.
                var aligned = (raw + (nint)(HugePage - 1)) & ~(nint)(HugePage - 1);
                if (aligned > raw)
                {
                    _ = Munmap(raw, (nuint)(aligned - raw));
                }

                var tail = raw + (nint)reserved - (aligned + (nint)length);
                if (tail > 0)
                {
                    _ = Munmap(aligned + (nint)length, (nuint)tail);
                }

                // Advice only: if refused, the block is ordinary pages. Anonymous mappings come zeroed.
                _ = Madvise(aligned, (nuint)length, MadvHugePage);
                return new NativeBlock(aligned, length, mapped: true);
            }
        }

        var p = NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear(p, (nuint)bytes);
        return new NativeBlock((nint)p, bytes, mapped: false);
    }

    protected override unsafe bool ReleaseHandle()
    {
        if (_mapped)
        {
            _ = Munmap(handle, (nuint)Bytes);
        }
        else
        {
            NativeMemory.AlignedFree((void*)handle);
        }

        GC.RemoveMemoryPressure(Bytes);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
