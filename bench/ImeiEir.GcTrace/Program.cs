using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Each garbage collection of a trace (dotnet-trace, provider Microsoft-Windows-DotNETRuntime:0x1:5): when, which
// generation, how long the process was paused and how much of that went on stopping its threads (suspension: every
// thread must reach a safe point, so a thread the kernel is not running — a low-priority one on busy cores — holds
// everyone else's pause until it runs), the bytes it promoted, and the bytes found live through each kind of
// root (GCMarkWithType): stacks, handles, and "older" — young objects reachable only from older generations' objects
// through the card table. A dead large object still points at young ones until a full collection: what it points to
// is promoted as if alive. Then the pauses' median and maximum per generation.
if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: ImeiEir.GcTrace <trace.nettrace>");
    return 2;
}

using var source = new EventPipeEventSource(args[0]);
var clr = new ClrTraceEventParser(source);
var suspendStart = 0.0;
var suspended = 0.0;
var forGc = false;
var generation = -1;
var type = "";
var promoted = 0L;
var byRoot = new Dictionary<string, long>();
var pauses = new Dictionary<int, List<(double Pause, double Suspended)>>();
// The runtime stops its threads for other reasons too (a tracing session's rundown, a debugger, `dotnet-stack`):
// only the stops of a collection are counted.
clr.GCSuspendEEStart += e => (suspendStart, forGc) = (e.TimeStampRelativeMSec, e.Reason is GCSuspendEEReason.SuspendForGC or GCSuspendEEReason.SuspendForGCPrep);
clr.GCSuspendEEStop += e => suspended = e.TimeStampRelativeMSec - suspendStart;
clr.GCStart += e => (generation, type) = (e.Depth, e.Type.ToString());
clr.GCMarkWithType += e =>
{
    var root = e.Type switch { 0 => "stack", 1 => "finalizer", 2 => "handles", 3 => "older", 6 => "dependent", _ => "other" };
    byRoot[root] = byRoot.GetValueOrDefault(root) + e.Promoted;
};
clr.GCHeapStats += e => promoted = e.TotalPromotedSize0 + e.TotalPromotedSize1;
clr.GCRestartEEStop += e =>
{
    if (!forGc)
    {
        return;
    }

    var pause = e.TimeStampRelativeMSec - suspendStart;
    if (!pauses.TryGetValue(generation, out var list))
    {
        pauses[generation] = list = [];
    }

    list.Add((pause, suspended));
    var roots = string.Join(" ", byRoot.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value / 1048576.0:F1}")));
    // A background collection's own pauses report no promotion (its work runs beside the process).
    var what = byRoot.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  promoted {promoted / 1048576.0,6:F1} MiB  live via: {roots}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{suspendStart,9:F0} ms  gen{generation} {type,-16} pause {pause,6:F1} ms (suspending {suspended,5:F1}){what}"));
    byRoot.Clear();
    promoted = 0;
};
source.Process();
foreach (var (gen, list) in pauses.OrderBy(p => p.Key))
{
    var pause = list.Select(p => p.Pause).Order().ToList();
    var stops = list.Select(p => p.Suspended).Order().ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gen{gen}: {list.Count} collections, pause median {pause[pause.Count / 2]:F1} ms, max {pause[^1]:F1} ms; suspending median {stops[stops.Count / 2]:F1} ms, max {stops[^1]:F1} ms"));
}

return 0;
