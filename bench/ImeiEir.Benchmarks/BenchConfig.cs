using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Metrology;

namespace ImeiEir.Benchmarks;

/// <summary>
/// One configuration for every benchmark (Program passes it to the switcher; the classes carry no [Config], so
/// nothing is merged twice). In-process: an out-of-process job rebuilds a project per run (about a
/// minute on this 2-core machine), and the 100 M data sets are built once per process anyway. Few iterations: the
/// operations are batched (OperationsPerInvoke), so each iteration already averages over a million operations.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    /// <summary>Set (to anything) to use the fast CI job: 1 warm-up, 3 iterations.</summary>
    public const string FastVariable = "IMEIEIR_BENCH_FAST";

    public BenchConfig()
    {
        var fast = Environment.GetEnvironmentVariable(FastVariable) is { Length: > 0 };
        var job = Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromHours(1), logOutput: true))
            .WithLaunchCount(1)
            .WithWarmupCount(fast ? 1 : 3)
            .WithIterationCount(fast ? 3 : 7)
            .WithId(fast ? "Fast" : "Short");
        AddJob(job);
        AddDiagnoser(MemoryDiagnoser.Default);
        var defaults = DefaultConfig.Instance;
        AddLogger([.. defaults.GetLoggers()]);
        AddAnalyser([.. defaults.GetAnalysers()]);
        AddValidator([.. defaults.GetValidators()]);
        AddColumnProvider([.. defaults.GetColumnProviders()]);
        AddColumn(StatisticColumn.Median, new OpsPerSecondColumn());
        AddExporter(MarkdownExporter.GitHub);
        // Sizes in plain bytes so a script can read the Allocated column (check-allocations.sh).
        AddExporter(new CsvExporter(CsvSeparator.Comma, SummaryStyle.Default.WithSizeUnit(SizeUnit.B)));
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
        WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>Operations (lookups, checks, keys) per second from the median time of one operation.</summary>
public sealed class OpsPerSecondColumn : IColumn
{
    public string Id => nameof(OpsPerSecondColumn);

    public string ColumnName => "Op/s (median)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Operations per second, 10^9 / median ns per operation (keys/s for Build* and Apply*)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        return stats is null || stats.Median <= 0 ? "NA" : (1e9 / stats.Median).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
