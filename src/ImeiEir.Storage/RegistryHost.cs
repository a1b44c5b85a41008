using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// The one hosted service of the write side: connects to Redis and hydrates the index (retrying every second until it
/// can), subscribes to change and grace notifications, then runs the follow loop (with checkpoints), the commit
/// pipeline, the amnesty binder and the grace mark pump until the node stops.
/// </summary>
public sealed partial class RegistryHost : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    // A Redis call in flight may take its whole timeout to fail; shutdown does not wait for it longer than this.
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(2);

    private readonly RedisStore _store;
    private readonly LogFollower _follower;
    private readonly CommitPipeline _pipeline;
    private readonly Checkpointer _checkpointer;
    private readonly AmnestyBinder _amnesty;
    private readonly ClusterGraceMarks _marks;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    public RegistryHost(RedisStore store, LogFollower follower, CommitPipeline pipeline, Checkpointer checkpointer, AmnestyBinder amnesty, ClusterGraceMarks marks, ILogger<RegistryHost> log)
    {
        _store = store;
        _follower = follower;
        _pipeline = pipeline;
        _checkpointer = checkpointer;
        _amnesty = amnesty;
        _marks = marks;
        _log = log;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is null)
        {
            return;
        }

        try
        {
            await _run.WaitAsync(StopWait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException || CommitPipeline.IsStorageFailure(ex))
        {
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _store.ConnectAsync().ConfigureAwait(false);
                await _follower.HydrateAsync(ct).ConfigureAwait(false);
                break;
            }
            catch (Exception ex)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                Log.HydrationFailed(_log, StorageErrors.ForLog(ex));
                await DelayAsync(ct).ConfigureAwait(false);
            }
        }

        if (ct.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _follower.SubscribeAsync().ConfigureAwait(false);
            await _marks.SubscribeAsync(_store).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // StackExchange.Redis re-subscribes on reconnect; until then polling keeps the node current.
            Log.SubscribeFailed(_log, StorageErrors.ForLog(ex));
        }

        await Task.WhenAll(
            Task.Run(() => _marks.PumpAsync(_store.GraceMarks, ct), CancellationToken.None),
            Task.Run(() => _amnesty.RunAsync(ct), CancellationToken.None),
            Task.Run(() => _pipeline.RunAsync(ct), CancellationToken.None),
            FollowAsync(ct)).ConfigureAwait(false);
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _follower.FollowOnceAsync(ct).ConfigureAwait(false);
                await _checkpointer.MaybeWriteAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Log.FollowFailed(_log, StorageErrors.ForLog(ex));
                await DelayAsync(ct).ConfigureAwait(false);
            }
        }
    }

    // Real time, not the node's TimeProvider: a retry must not wait for a test's fake clock.
    private static async Task DelayAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(RetryDelay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Could not load the index from Redis yet, retrying: {Error}")]
        public static partial void HydrationFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Following the Redis log failed, retrying: {Error}")]
        public static partial void FollowFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Subscribing to Redis change notifications failed (polling continues): {Error}")]
        public static partial void SubscribeFailed(ILogger logger, string error);
    }
}
