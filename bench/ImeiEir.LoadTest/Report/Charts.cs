using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace ImeiEir.LoadTest.Report;

/// <summary>
/// PNG charts (ScottPlot). The latency chart is the HdrHistogram "percentile spectrum": x is 1/(1-p) on a log
/// scale, so p50, p90, p99, p99.9 are equally spaced and the tail is visible; y is the latency on a log scale.
/// </summary>
internal static class Charts
{
    private static readonly double[] PercentileTicks = [50, 90, 99, 99.9, 99.99, 99.999];
    private static readonly double[] LatencyTicksMs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    public static void Latency(IReadOnlyList<RunReport> runs, string title, string path)
    {
        var plot = new Plot();
        var maxX = 0.0;
        double minY = double.MaxValue, maxY = double.MinValue;
        foreach (var r in runs)
        {
            var points = r.Spectrum.Where(p => p.Percentile < 100 && p.Us > 0).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var xs = points.Select(p => X(p.Percentile)).ToArray();
            var ys = points.Select(p => Math.Log10(p.Us / 1000)).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{r.Label} ({r.ChecksPerSecond:N0}/s)";
            line.LineWidth = 2;
            maxX = Math.Max(maxX, xs.Max());
            minY = Math.Min(minY, ys.Min());
            maxY = Math.Max(maxY, ys.Max());
        }

        var xTicks = new NumericManual();
        foreach (var p in PercentileTicks)
        {
            if (X(p) <= maxX + 0.5)
            {
                xTicks.AddMajor(X(p), p.ToString(CultureInfo.InvariantCulture) + "%");
            }
        }

        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new NumericManual();
        foreach (var ms in LatencyTicksMs)
        {
            yTicks.AddMajor(Math.Log10(ms), ms < 1 ? (ms * 1000).ToString(CultureInfo.InvariantCulture) + " µs" : ms.ToString(CultureInfo.InvariantCulture) + " ms");
        }

        plot.Axes.Left.TickGenerator = yTicks;
        if (minY <= maxY)
        {
            plot.Axes.SetLimits(0, Math.Max(1, maxX) + 0.1, minY - 0.15, maxY + 0.15);
        }

        plot.Title(title);
        plot.XLabel("percentile");
        plot.YLabel("latency (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>Bars of one figure per scenario (e.g. checks/s), labelled.</summary>
    public static void Bars(IReadOnlyList<(string Label, double Value)> bars, string title, string yLabel, string path)
    {
        var plot = new Plot();
        var ticks = new NumericManual();
        var items = new List<Bar>();
        for (var i = 0; i < bars.Count; i++)
        {
            items.Add(new Bar { Position = i, Value = bars[i].Value, Label = bars[i].Value.ToString("N0", CultureInfo.InvariantCulture) });
            ticks.AddMajor(i, bars[i].Label);
        }

        plot.Add.Bars(items);

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.SavePng(path, 900, 480);
    }

    private static double X(double percentile) => Math.Log10(100.0 / (100.0 - Math.Min(percentile, 99.9999)));
}
