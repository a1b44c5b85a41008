using ImeiEir.Storage;

namespace ImeiEir.Storage.Tests;

/// <summary>The write side's work runs on one thread of its own, below the checks' priority (Linux nice value).</summary>
public class WriterThreadTests
{
    [Fact]
    public async Task Work_RunsOnItsOwnThread_AndItsAwaitsComeBackToIt()
    {
        using var writer = new WriterThread(new WriterOptions());

        var first = await writer.Run(() => (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread, writer.IsCurrent));
        var afterAwaits = await writer.Run(async () =>
        {
            var before = Environment.CurrentManagedThreadId;
            await Task.Yield();
            var afterYield = Environment.CurrentManagedThreadId;
            await Task.Delay(10).ConfigureAwait(true);
            return (before, afterYield, Environment.CurrentManagedThreadId);
        });

        Assert.False(first.IsThreadPoolThread);
        Assert.True(first.IsCurrent);
        Assert.False(writer.IsCurrent);
        Assert.Equal((first.CurrentManagedThreadId, first.CurrentManagedThreadId, first.CurrentManagedThreadId), afterAwaits);
    }

    [Fact]
    public async Task AFailure_ReachesTheCaller()
    {
        using var writer = new WriterThread(new WriterOptions());

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.Run(() => throw new InvalidOperationException("planned to fail")));

        Assert.Equal("planned to fail", ex.Message);
        Assert.Equal(2, await writer.Run(() => 2)); // and the thread goes on
    }

    [Theory]
    [InlineData(10)]
    [InlineData(19)]
    [InlineData(0)]
    public void OnLinux_TheThreadRunsAtTheNiceValueAskedFor(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // nice values are Linux's (the suite runs on Linux)
        }

        using var writer = new WriterThread(new WriterOptions { Nice = nice });

        var processNice = NiceOf("/proc/self/stat");
        var threadNice = NiceOf($"/proc/self/task/{writer.OsThreadId}/stat");

        // A process already running nicer than asked keeps its value (lowering it needs a privilege).
        Assert.Equal(nice == 0 ? processNice : Math.Max(nice, processNice), threadNice);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void ANiceValueOutOfRange_IsRefusedNamingTheSetting(int nice)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WriterOptions { Nice = nice }.Validate());

        Assert.Contains("Writer:Nice", ex.Message, StringComparison.Ordinal);
    }

    // Field 19 of /proc/.../stat (the fields after the command's closing parenthesis start at field 3).
    private static int NiceOf(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
