using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>One log line written by the code under test.</summary>
public sealed record LogLine(string Category, LogLevel Level, int EventId, string Message);

/// <summary>A logger provider that keeps every line of the categories it is given (all when none).</summary>
public sealed class LogCapture(params string[] categoryPrefixes) : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Waits (polling, generous timeout) for a line with the event id, and returns it.</summary>
    public async Task<LogLine> WaitForAsync(int eventId, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            if (Lines.FirstOrDefault(l => l.EventId == eventId) is { } line)
            {
                return line;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no log event {eventId} within {timeoutSeconds} s; got: {string.Join(" | ", Lines.Select(l => $"{l.EventId} {l.Message}"))}");
            }

            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => owner.Wants(category);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner.Wants(category))
            {
                owner._lines.Enqueue(new LogLine(category, logLevel, eventId.Id, formatter(state, exception)));
            }
        }
    }

    private bool Wants(string category) => categoryPrefixes.Length == 0 || categoryPrefixes.Any(p => category.StartsWith(p, StringComparison.Ordinal));
}
