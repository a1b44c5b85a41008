namespace ImeiEir.Server.Nrf;

/// <summary>
/// Exponential backoff with jitter for NRF retries: the n-th consecutive failure waits a random time between half and
/// all of min(<c>max</c>, <c>min</c> × 2^(n−1)). Half is kept fixed so a retry never comes right after a failure;
/// the random half spreads the nodes of a cluster when their NRF comes back.
/// </summary>
internal sealed class Backoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public Backoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>Consecutive failures so far (0 after a success).</summary>
    public int Failures { get; private set; }

    /// <summary>Counts one more failure and returns how long to wait before the next try.</summary>
    public TimeSpan NextDelay()
    {
        Failures++;
        var ceiling = Ceiling(Failures);
        return ceiling / 2 + ceiling / 2 * _random.NextDouble();
    }

    /// <summary>The upper bound of the wait after the <paramref name="failures"/>-th consecutive failure.</summary>
    public TimeSpan Ceiling(int failures)
    {
        // 2^30 × any positive min is past any sensible max: stop doubling there (no overflow).
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var ticks = Math.Min(_max.Ticks, _min.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    public void Reset() => Failures = 0;
}
