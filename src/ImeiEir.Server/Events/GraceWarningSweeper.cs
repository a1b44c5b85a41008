using ImeiEir.Core.Events;
using ImeiEir.Core.Index;
using ImeiEir.Storage;
using StackExchange.Redis;

namespace ImeiEir.Server.Events;

/// <summary>
/// Raises <c>grace_expiring</c> when a scheduled warning falls due, unless the subscriber has been bound to the IMEI
/// meanwhile (NUMBER SWITCH) or the IMEI registered. One node at a time sweeps (a lock that expires on its own); a
/// warning is removed after its event is raised, and the raise is exactly-once, so a sweep cut short repeats
/// nothing.
/// </summary>
internal sealed class GraceWarningSweeper(
    EventStore store,
    EirIndex index,
    EventFactory factory,
    EventWindows windows,
    EventsOptions options,
    EventsMetrics metrics,
    TimeProvider time,
    ILogger<GraceWarningSweeper> log) : BackgroundService
{
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or StoreUnavailableException or TimeoutException)
                {
                    EventsLog.SweepFailed(log, StorageErrors.ForLog(ex), options.SweepInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep: returns how many warnings were raised (0 when another node holds the lock).</summary>
    public async Task<int> SweepAsync()
    {
        if (!index.IsLoaded || !await store.TryLockSweepAsync(factory.Node, options.SweepInterval * 3).ConfigureAwait(false))
        {
            return 0;
        }

        var raised = 0;
        try
        {
            var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            RedisValue[] due;
            do
            {
                due = await store.DueWarningsAsync(nowMs, Batch).ConfigureAwait(false);
                foreach (var member in due)
                {
                    if (!GraceWarning.TryRead(member.ToString(), nowMs, factory.Node, out var e, out var subscriber))
                    {
                        EventsLog.BadWarning(log);
                    }
                    else if (!Switched(e))
                    {
                        var id = await store.RaiseAsync(e, subscriber, TimeSpan.FromTicks(windows.Ticks(e.Kind)), options.Retention).ConfigureAwait(false);
                        if (id is not null)
                        {
                            metrics.Raised(e.Kind);
                            raised++;
                        }
                    }

                    await store.RemoveWarningAsync(member).ConfigureAwait(false);
                }
            }
            while (due.Length == Batch);
        }
        finally
        {
            await store.UnlockSweepAsync(factory.Node).ConfigureAwait(false);
        }

        return raised;
    }

    // NUMBER SWITCH binds the new number to the IMEI; registering it ends the need too.
    private bool Switched(EventRecord e)
    {
        if (!long.TryParse(e.Imei, out var imei))
        {
            return true;
        }

        var view = index.Current;
        if (view.IsRegistered(imei))
        {
            return true;
        }

        var bindings = view.GetBindings(imei);
        return (long.TryParse(e.Msisdn, out var msisdn) && bindings.HasMsisdn(msisdn))
            || (e.Imsi.Length > 0 && Core.Identifiers.ImsiParser.TryParse(e.Imsi, out var imsi) == Core.Identifiers.ParseStatus.Ok && bindings.HasImsi(imsi.Key));
    }
}
