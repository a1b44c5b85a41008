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
    private readonly Waitable<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries.Entries;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Add(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));

    /// <summary>The first entry that matches, waiting for it up to 30 s (then the test fails, listing what was logged).</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, string what)
        => _entries.WaitForAsync(match, "log line " + what, WaitLimit, Dump);

    /// <summary>Every line so far, one per line (for failure messages).</summary>
    public string Dump() => string.Join('\n', Entries.Select(e => $"{e.Level} {e.EventId}: {e.Message}"));
}
