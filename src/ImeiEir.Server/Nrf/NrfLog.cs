namespace ImeiEir.Server.Nrf;

/// <summary>
/// Every log line of the NRF registration, source-generated with fixed event ids (50xx). Registration, suspension,
/// resumption and deregistration at Information; a failure at Warning once when it starts (each retry after it at
/// Debug), and its end at Information. URIs are logged without user info and no key or certificate content is ever
/// logged.
/// </summary>
internal static partial class NrfLog
{
    [LoggerMessage(5000, LogLevel.Information, "NRF registration on: {InstanceUri} as 5G_EIR, advertising {AdvertisedUri}")]
    public static partial void Starting(ILogger logger, Uri instanceUri, string advertisedUri);

    [LoggerMessage(5001, LogLevel.Information, "NRF registration waits until the node has loaded its data")]
    public static partial void WaitingForData(ILogger logger);

    [LoggerMessage(5002, LogLevel.Information, "Registered with the NRF (HTTP {HttpStatus}) as {NfStatus}; heartbeat every {HeartBeatTimer} s")]
    public static partial void Registered(ILogger logger, int httpStatus, string nfStatus, int heartBeatTimer);

    [LoggerMessage(5003, LogLevel.Information, "NRF registration SUSPENDED: {Reason}")]
    public static partial void Suspended(ILogger logger, string reason);

    [LoggerMessage(5004, LogLevel.Information, "NRF registration REGISTERED again: the node serves its data")]
    public static partial void Resumed(ILogger logger);

    [LoggerMessage(5005, LogLevel.Warning, "The NRF does not know this NF instance (HTTP 404 to {Operation}): registering again")]
    public static partial void NotRegistered(ILogger logger, string operation);

    [LoggerMessage(5006, LogLevel.Warning, "NRF {Operation} failed: {Error}. Retrying with backoff (next in {Delay}); checks are not affected")]
    public static partial void Failed(ILogger logger, string operation, string error, TimeSpan delay);

    [LoggerMessage(5007, LogLevel.Debug, "NRF {Operation} failed again ({Failures} in a row): {Error}. Next try in {Delay}")]
    public static partial void FailedAgain(ILogger logger, string operation, int failures, string error, TimeSpan delay);

    [LoggerMessage(5008, LogLevel.Information, "NRF {Operation} succeeded after {Failures} failed attempts")]
    public static partial void Recovered(ILogger logger, string operation, int failures);

    [LoggerMessage(5009, LogLevel.Information, "Deregistered from the NRF (HTTP {HttpStatus})")]
    public static partial void Deregistered(ILogger logger, int httpStatus);

    [LoggerMessage(5010, LogLevel.Warning, "NRF deregistration failed: {Error}. The NRF drops the profile when heartbeats stop")]
    public static partial void DeregisterFailed(ILogger logger, string error);

    [LoggerMessage(5011, LogLevel.Information, "The NRF set the heartbeat timer to {HeartBeatTimer} s (was {Previous} s)")]
    public static partial void HeartBeatTimerChanged(ILogger logger, int heartBeatTimer, int previous);

    [LoggerMessage(5012, LogLevel.Debug, "NRF heartbeat sent ({NfStatus}), HTTP {HttpStatus}")]
    public static partial void Heartbeat(ILogger logger, string nfStatus, int httpStatus);
}
