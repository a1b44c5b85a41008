using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ImeiEir.LoadTest.Load;

/// <summary>
/// Open-model schedule: operation i is due at <c>start + i / rate</c>, whatever happened to the ones before (no
/// coordinated omission: a stalled server does not slow the schedule, and every latency is measured from the
/// due time, so time spent queued behind a stall is charged to the server). One dedicated thread per pacer;
/// between due times it sleeps with <c>clock_nanosleep</c> and a 1 µs timer slack, so its precision is a few tens
/// of microseconds (Thread.Sleep would round to a millisecond and charge that to every latency).
/// </summary>
internal static partial class Pacer
{
    private const int PrSetTimerSlack = 29;
    private static long _lateTicks;
    private static long _fired;
    private static long _maxLate;

    /// <summary>How late the pacer started calls: mean and max microseconds (client-side lateness, already inside the latencies).</summary>
    public static (double MeanUs, double MaxUs, long Fired) Lateness => (
        _fired == 0 ? 0 : _lateTicks * 1e6 / Stopwatch.Frequency / _fired,
        _maxLate * 1e6 / Stopwatch.Frequency,
        _fired);

    /// <summary>Runs on the calling thread until <paramref name="end"/>; calls <paramref name="fire"/> with each due time.</summary>
    /// <param name="tickNs">
    /// Shortest sleep. Requests that fall due within one tick go out together (each still timed from its own due
    /// time): on two shared cores, waking client and server threads for every lone request costs ~5x the CPU of a
    /// request sent among others, and that, not the server, would then set the ceiling of the open model.
    /// </param>
    public static long Run(long start, long end, double ratePerSecond, long tickNs, Func<long, bool> fire)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
        }

        var ticksPerOp = Stopwatch.Frequency / ratePerSecond;
        long i = 0;
        while (true)
        {
            var due = start + (long)(i * ticksPerOp);
            if (due >= end)
            {
                return i;
            }

            var now = Stopwatch.GetTimestamp();
            if (now >= due)
            {
                Interlocked.Add(ref _lateTicks, now - due);
                Interlocked.Increment(ref _fired);
                if (now - due > _maxLate)
                {
                    _maxLate = now - due;
                }

                // Everything due by now goes out at once, each with its own due time.
                if (!fire(due))
                {
                    // Too many in flight: wait a little; the due times keep counting, so the wait is charged.
                    Sleep(50_000);
                    continue;
                }

                i++;
                continue;
            }

            // No spinning: on two shared cores a spinning client steals the server's CPU. The sleep overshoots by a
            // few tens of microseconds at most, and that lateness is charged to the latency (due time is the clock).
            var waitNs = (due - now) * 1_000_000_000L / Stopwatch.Frequency;
            Sleep(Math.Clamp(waitNs, tickNs, Math.Max(tickNs, 1_000_000)));
        }
    }

    private static void Sleep(long nanoseconds)
    {
        if (OperatingSystem.IsLinux())
        {
            var ts = new Timespec { Seconds = 0, Nanoseconds = nanoseconds };
            _ = NanoSleep(in ts, 0);
        }
        else
        {
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(in Timespec request, nint remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
