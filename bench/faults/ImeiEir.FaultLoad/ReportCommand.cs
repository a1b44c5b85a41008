namespace ImeiEir.FaultLoad;

/// <summary><c>report</c>: the summary of the checks of a <c>checks --samples</c> file due within a window.</summary>
internal static class ReportCommand
{
    public static async Task<int> RunAsync(Options o)
    {
        var path = o.Required("samples");
        var from = long.Parse(o.Get("from", "0"), System.Globalization.CultureInfo.InvariantCulture);
        var to = long.Parse(o.Get("to", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
        var deadline = o.Duration("deadline", TimeSpan.FromSeconds(2));
        o.EnsureAllRead();
        var samples = (await File.ReadAllLinesAsync(path)).Select(CheckSample.Parse).Where(s => s.DueMs >= from && s.DueMs <= to).ToList();
        Console.WriteLine(CheckSummary.Of(samples, deadline).ToLine());
        return 0;
    }
}
