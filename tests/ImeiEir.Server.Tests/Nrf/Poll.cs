namespace ImeiEir.Server.Tests.Nrf;

/// <summary>Waits for a condition by polling, with a generous timeout (never a fixed sleep).</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {timeoutSeconds} s: {what}");
            }

            await Task.Delay(25);
        }
    }
}
