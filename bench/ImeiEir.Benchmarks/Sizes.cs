namespace ImeiEir.Benchmarks;

/// <summary>
/// The registered-IMEI counts a benchmark runs at: 1 M, 10 M, 100 M, or the comma-separated list in
/// <c>IMEIEIR_BENCH_SIZES</c> (the CI guard uses 1 000 000 only).
/// </summary>
public static class Sizes
{
    public const string Variable = "IMEIEIR_BENCH_SIZES";

    public static IEnumerable<int> Registered()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(text)
            ? [1_000_000, 10_000_000, 100_000_000]
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
    }
}
