using System.Collections.Concurrent;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>
/// Entries that arrive from other threads (log lines, process output, measurements) and a way to wait for one: no
/// polling interval, each new entry wakes the waiters. A wait is bounded so a missing entry fails the test with a dump.
/// </summary>
internal sealed class Waitable<T>
{
    private readonly ConcurrentQueue<T> _entries = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<T> Entries => _entries;

    public void Add(T entry)
    {
        _entries.Enqueue(entry);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// The first entry that matches, waiting up to <paramref name="limit"/>; <paramref name="stillPossible"/> (checked
    /// at least every second) ends the wait early when the entry can no longer come, e.g. the process exited.
    /// </summary>
    public async Task<T> WaitForAsync(Func<T, bool> match, string what, TimeSpan limit, Func<string> dump, Func<bool>? stillPossible = null)
    {
        using var deadline = new CancellationTokenSource(limit);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            foreach (var entry in _entries)
            {
                if (match(entry))
                {
                    return entry;
                }
            }

            if (stillPossible is not null && !stillPossible())
            {
                Assert.Fail($"No {what}, and none can come any more. Seen:\n{dump()}");
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (TimeoutException)
            {
                // Check stillPossible again.
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No {what} within {limit.TotalSeconds} s. Seen:\n{dump()}");
            }
        }
    }
}
