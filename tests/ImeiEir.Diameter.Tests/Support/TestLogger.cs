using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>One log line as the server wrote it.</summary>
internal sealed record LogEntry(LogLevel Level, int EventId, string Message);

/// <summary>
/// Captures every log line (all levels) and lets a test wait for one: the server logs from its connection tasks, so a
/// line can land just after the client saw the effect it describes.
/// </summary>
internal sealed class TestLogger<T> : ILogger<T>
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>The first entry that matches, waiting for it up to 30 s (then the test fails, listing what was logged).</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, string what)
    {
        using var limit = new CancellationTokenSource(WaitLimit);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (_entries.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No log line {what} within {WaitLimit.TotalSeconds} s. Logged:\n{Dump()}");
            }
        }
    }

    /// <summary>Every line so far, one per line (for failure messages).</summary>
    public string Dump() => string.Join('\n', _entries.Select(e => $"{e.Level} {e.EventId}: {e.Message}"));
}
