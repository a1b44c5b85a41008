namespace ImeiEir.Server.Events;

/// <summary>Event log entries (7000–7099). Nothing per event at Information; identifiers are never logged.</summary>
internal static partial class EventsLog
{
    [LoggerMessage(7000, LogLevel.Information, "Events: {State}; node '{Node}', retention {Retention}, grace warning {WarningBefore} before expiry, not_registered every {NotRegisteredEvery}, stolen_seen every {StolenSeenEvery}, clone threshold {CloneThreshold}")]
    public static partial void Settings(ILogger logger, string state, string node, TimeSpan retention, TimeSpan warningBefore, TimeSpan notRegisteredEvery, TimeSpan stolenSeenEvery, int cloneThreshold);

    [LoggerMessage(7001, LogLevel.Warning, "Events: Redis refused or is away ({Error}); retrying in {Delay} (observations queue meanwhile, dropped when the queue is full)")]
    public static partial void PublishFailed(ILogger logger, string error, TimeSpan delay);

    [LoggerMessage(7002, LogLevel.Warning, "Events: grace warning sweep failed ({Error}); next sweep in {Interval}")]
    public static partial void SweepFailed(ILogger logger, string error, TimeSpan interval);

    [LoggerMessage(7003, LogLevel.Information, "Events: subscriber '{Consumer}' of group '{Group}' on stream '{Stream}' ended: {Cause}")]
    public static partial void SubscriptionEnded(ILogger logger, string consumer, string group, string stream, string cause);

    [LoggerMessage(7004, LogLevel.Warning, "Events: an unreadable grace warning entry was removed")]
    public static partial void BadWarning(ILogger logger);
}
