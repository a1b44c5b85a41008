using System.Diagnostics;

namespace ImeiEir.LoadTest.Cli;

/// <summary>
/// A live status line: redrawn in place on a terminal (every 250 ms), one plain line every few seconds when
/// the output goes to a file (run.sh logs), so logs stay readable.
/// </summary>
internal sealed class ConsoleProgress : IAsyncDisposable
{
    private readonly Func<string> _render;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _inPlace = !Console.IsOutputRedirected;
    private int _lastLength;

    public ConsoleProgress(Func<string> render)
    {
        _render = render;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        var period = _inPlace ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Draw();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Draw()
    {
        var text = _render();
        if (_inPlace)
        {
            var pad = Math.Max(0, _lastLength - text.Length);
            Console.Write("\r" + text + new string(' ', pad));
            _lastLength = text.Length;
        }
        else
        {
            Console.WriteLine(text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Draw();
        if (_inPlace)
        {
            Console.WriteLine();
        }

        _stop.Dispose();
    }

    public static string Bar(double fraction, int width = 30)
    {
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
        return "[" + new string('#', filled) + new string('-', width - filled) + "]";
    }

    public static string Eta(Stopwatch sw, double fraction)
    {
        if (fraction <= 0.001)
        {
            return "ETA --";
        }

        var left = TimeSpan.FromSeconds(sw.Elapsed.TotalSeconds * (1 - fraction) / fraction);
        return "ETA " + (left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss", null) : left.ToString(@"m\:ss", null));
    }
}
