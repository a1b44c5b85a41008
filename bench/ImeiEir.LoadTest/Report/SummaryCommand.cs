using ImeiEir.LoadTest.Cli;

namespace ImeiEir.LoadTest.Report;

internal static class SummaryCommand
{
    public const string Help = "summary --dir DIR";

    public static Task<int> RunAsync(Args a)
    {
        a.EnsureAllRead();
        return Task.FromResult(0);
    }
}
