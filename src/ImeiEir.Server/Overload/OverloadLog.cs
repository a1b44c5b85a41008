namespace ImeiEir.Server.Overload;

/// <summary>Overload events (6000–6099). Nothing per request: shedding is logged when it starts and when it ends.</summary>
internal static partial class OverloadLog
{
    [LoggerMessage(6000, LogLevel.Warning, "Overload: the check queue is standing ({DelayMs:F1} ms of queue delay; Overload:MaxQueueDelay {Target}, Overload:BurstTolerance {Tolerance}): checks that would wait longer are refused (RESOURCE_EXHAUSTED, 429, 3004); logged again when it has not stood for 10 s")]
    public static partial void Standing(ILogger logger, double delayMs, TimeSpan target, TimeSpan tolerance);

    [LoggerMessage(6001, LogLevel.Information, "Overload: over; the check queue stood on and off for {Duration} and has not for 10 s; {Shed} calls were refused meanwhile")]
    public static partial void Drained(ILogger logger, TimeSpan duration, long shed);

    [LoggerMessage(6002, LogLevel.Information, "Overload: RegistrySync call of client '{Client}' refused: it has {Limit} open already (Overload:SyncStreamsPerClient)")]
    public static partial void SyncLimit(ILogger logger, string client, int limit);

    [LoggerMessage(6003, LogLevel.Information, "Overload control: {State}; Overload:MaxQueueDelay {Target}, Overload:BurstTolerance {Tolerance}, Overload:MaxConcurrentChecks {MaxConcurrent}, Overload:SyncStreamsPerClient {SyncPerClient}")]
    public static partial void Settings(ILogger logger, string state, TimeSpan target, TimeSpan tolerance, int maxConcurrent, int syncPerClient);

    [LoggerMessage(6004, LogLevel.Warning, "Thread pool starved: work waited {DelayMs:F1} ms while the process used {BusyPercent:F0} % of its cores (threads blocked, not busy); minimum pool threads raised to {Minimum} for at least {Hold}")]
    public static partial void Starved(ILogger logger, double delayMs, double busyPercent, int minimum, TimeSpan hold);

    [LoggerMessage(6006, LogLevel.Information, "Thread pool starved again: work waited {DelayMs:F1} ms while the process used {BusyPercent:F0} % of its cores; minimum pool threads stay at {Minimum} for at least {Hold} more")]
    public static partial void StarvedAgain(ILogger logger, double delayMs, double busyPercent, int minimum, TimeSpan hold);

    [LoggerMessage(6005, LogLevel.Information, "Thread pool no longer starved: minimum pool threads back to {Minimum}")]
    public static partial void StarvationOver(ILogger logger, int minimum);
}
