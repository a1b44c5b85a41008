using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// The node's one connection to Redis (a singleton): connects on first use, retrying in the background while Redis is
/// away, and logs every connection attempt with its cause. Everything that talks to Redis takes it from here
/// (<see cref="Multiplexer"/>, <see cref="Database"/>, <see cref="Subscriber"/>).
/// </summary>
public sealed partial class RedisConnectionProvider : IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _mux;

    public RedisConnectionProvider(RedisOptions options, ILogger<RedisConnectionProvider>? log = null)
    {
        _options = options;
        _log = log ?? (ILogger)NullLogger.Instance;
    }

    public bool IsConnected => _mux?.IsConnected == true;

    /// <summary>The connection; <see cref="StoreUnavailableException"/> before <see cref="ConnectAsync"/> has succeeded.</summary>
    public IConnectionMultiplexer Multiplexer => _mux ?? throw new StoreUnavailableException("Redis is not connected yet.");

    public IDatabase Database => Multiplexer.GetDatabase();

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>
    /// Connects (retrying in the background if Redis is not there yet). The password, TLS trust and client certificate
    /// come from <see cref="RedisConnection"/>; every failed connection attempt is logged with its cause.
    /// </summary>
    public async Task ConnectAsync()
    {
        if (_mux is not null)
        {
            return;
        }

        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_mux is not null)
            {
                return;
            }

            var config = RedisConnection.Build(_options);
            config.AbortOnConnectFail = false;
            // Exception texts without the command's key and server counters: keys carry identifiers (IMEI, MSISDN).
            config.IncludeDetailInExceptions = false;
            config.IncludePerformanceCountersInExceptions = false;
            config.ConnectRetry = 3;
            config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
            config.SyncTimeout = Math.Max(config.SyncTimeout, 10000);
            config.AsyncTimeout = Math.Max(config.AsyncTimeout, 10000);
            config.ClientName ??= "imeieir";

            // While Redis is away, fail writes at once (the caller answers UNAVAILABLE and the client retries) rather
            // than holding them in a backlog until the timeout; checks never touch Redis.
            config.BacklogPolicy = BacklogPolicy.FailFast;
            config.ConnectionAttemptCompleted += OnConnectionAttempt;
            Log.Connecting(_log, RedisConnection.ForLog(config));
            _mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        }
        finally
        {
            _connecting.Release();
        }
    }

    // A refused certificate or a wrong password shows here with its cause, not only as "no connection" later.
    private void OnConnectionAttempt(object? sender, ConnectionAttemptCompletedEventArgs e)
    {
        if (e.IsSuccess)
        {
            Log.Connected(_log, e.EndPoint?.ToString() ?? "", e.ConnectionType.ToString());
        }
        else
        {
            var error = e.Exception is null ? "" : StorageErrors.ForLog(e.Exception);
            Log.ConnectionAttemptFailed(_log, e.EndPoint?.ToString() ?? "", e.ConnectionType.ToString(), e.Stage.ToString(), e.FailureType.ToString(), error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null)
        {
            await _mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Connecting to Redis: {Configuration}")]
        public static partial void Connecting(ILogger logger, string configuration);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} ({ConnectionType}) established")]
        public static partial void Connected(ILogger logger, string endPoint, string connectionType);

        [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} ({ConnectionType}) failed at {Stage} ({FailureType}): {Error}")]
        public static partial void ConnectionAttemptFailed(ILogger logger, string endPoint, string connectionType, string stage, string failureType, string error);
    }
}
