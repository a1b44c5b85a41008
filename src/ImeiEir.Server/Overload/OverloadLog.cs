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
}
