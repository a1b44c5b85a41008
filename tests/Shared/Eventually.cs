namespace ImeiEir.Tests.Shared;

/// <summary>
/// Waiting for something that happens in the background (a node following the log, a mark merged into Redis, a
/// replica catching up), by polling instead of sleeping a fixed time: fast when the machine is fast, patient when it
/// is loaded. The bound is generous and is not a speed assertion: a probe that never gets there fails the test with
/// its last value.
/// </summary>
public static class Eventually
{
    /// <summary>How long a probe is given by default (a loaded 2-core CI machine is slow, not stuck).</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds for its result, and returns that result; after
    /// <paramref name="patience"/> returns the last result (the caller's assertion then says what was wrong). A probe that
    /// throws one of <paramref name="retryOn"/> (default: any exception) is tried again.
    /// </summary>
    public static async Task<T> ReachAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? patience = null, Func<Exception, bool>? retryOn = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var until = DateTime.UtcNow + (patience ?? DefaultPatience);
        var last = default(T)!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (retryOn?.Invoke(ex) ?? true)
            {
                lastError = ex;
            }

            if (DateTime.UtcNow >= until)
            {
                if (lastError is not null)
                {
                    throw new TimeoutException($"still failing after {(patience ?? DefaultPatience).TotalSeconds:0} s", lastError);
                }

                return last;
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> is true; fails the test with <paramref name="what"/> if it never is.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var reached = await ReachAsync(() => Task.FromResult(condition()), c => c, patience);
        if (!reached)
        {
            throw new TimeoutException($"never true: {what}");
        }
    }
}
