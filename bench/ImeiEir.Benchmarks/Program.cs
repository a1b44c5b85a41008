using BenchmarkDotNet.Running;
using ImeiEir.Benchmarks;
using ImeiEir.DataGen;

// Modes: (default) BenchmarkDotNet switcher (--filter '*Lookup*' ...); --memory: bytes-per-key table for
// 1/10/100 M (or IMEIEIR_BENCH_SIZES); --dataset N: summary of the generated data set of N registered IMEIs.
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
    return 0;
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig());
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
