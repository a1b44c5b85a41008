using ImeiEir.Core.Events;
using ImeiEir.Core.Policy;

namespace ImeiEir.Server.Events;

/// <summary>Shows checks to the events observer while the node runs (when <c>Events:Enabled</c>); logs the settings.</summary>
internal sealed class CheckObserverAttachment(
    EquipmentChecker checker,
    CheckEventObserver observer,
    EventsOptions options,
    EventFactory factory,
    ILogger<CheckObserverAttachment> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EventsLog.Settings(log, options.Enabled ? "on" : "OFF (Events:Enabled=false)", factory.Node, options.Retention, options.GraceWarningBefore, options.NotRegisteredEvery, options.StolenSeenEvery, options.CloneThreshold);
        if (options.Enabled)
        {
            checker.Observer = observer;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        checker.Observer = null;
        return Task.CompletedTask;
    }
}
