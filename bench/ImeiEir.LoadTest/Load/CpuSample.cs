using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ImeiEir.LoadTest.Load;

/// <summary>
/// CPU seconds used so far by the node (<c>/proc/PID/stat</c> utime + stime), by this process, and by the whole
/// machine (<c>/proc/stat</c>, all but idle and iowait). Two samples around the measured window give each one's CPU
/// per check: on a machine where client, node and other work share the cores, the node's CPU per request is what a
/// credential costs, whatever the throughput the shared cores allowed.
/// </summary>
internal readonly partial record struct CpuSample(double Server, double Client, double Machine)
{
    private static readonly double TicksPerSecond = Math.Max(1, SysConf(ScClkTck));

    private const int ScClkTck = 2;

    public static CpuSample Take(int serverPid)
    {
        using var self = Process.GetCurrentProcess();
        return new CpuSample(serverPid > 0 ? ProcessSeconds(serverPid) : 0, self.TotalProcessorTime.TotalSeconds, MachineBusySeconds());
    }

    /// <summary>utime + stime of a process (fields 14 and 15 of <c>/proc/PID/stat</c>, counted after the command name).</summary>
    private static double ProcessSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name is in parentheses and may hold spaces: count fields from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    private static double MachineBusySeconds()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        var first = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        for (var i = 1; i < Math.Min(first.Length, 9); i++)
        {
            if (i is not 4 and not 5)
            {
                busy += long.Parse(first[i], CultureInfo.InvariantCulture);
            }
        }

        return busy / TicksPerSecond;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}

/// <summary>CPU of one window: seconds of each part and microseconds per check.</summary>
internal sealed record CpuSummary(
    double ServerSeconds,
    double ClientSeconds,
    double MachineSeconds,
    double ServerUsPerCheck,
    double ClientUsPerCheck,
    double MachineUsPerCheck,
    double MachineBusyCores)
{
    public static CpuSummary? From(CpuSample? start, CpuSample? end, long checks, double seconds, bool withServer)
    {
        if (start is not { } a || end is not { } b || checks <= 0)
        {
            return null;
        }

        double Us(double s) => Math.Round(s * 1e6 / checks, 2);
        var server = withServer ? b.Server - a.Server : 0;
        return new CpuSummary(
            Math.Round(server, 2),
            Math.Round(b.Client - a.Client, 2),
            Math.Round(b.Machine - a.Machine, 2),
            withServer ? Us(server) : 0,
            Us(b.Client - a.Client),
            Us(b.Machine - a.Machine),
            Math.Round((b.Machine - a.Machine) / seconds, 2));
    }
}
