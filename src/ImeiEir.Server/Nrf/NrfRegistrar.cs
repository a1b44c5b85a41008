using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Nrf;

/// <summary>Where the registration stands (diagnostics and tests).</summary>
internal enum NrfRegistrationPhase
{
    /// <summary>Not started, or the node has not loaded its data yet: nothing sent.</summary>
    WaitingForData,

    /// <summary>Sending the profile (PUT), first or again (after a 404, or while the NRF is down).</summary>
    Registering,

    /// <summary>The NRF holds the profile as REGISTERED; heartbeats go out.</summary>
    Registered,

    /// <summary>The NRF holds the profile as SUSPENDED (the node cannot serve); heartbeats go out.</summary>
    Suspended,

    /// <summary>Stopped: the profile was deleted (or the NRF could not be told).</summary>
    Stopped,
}

/// <summary>
/// Keeps this node registered with its NRF (TS 29.510), off the request path: a loop on a background task that never
/// blocks or delays a check. The state machine (docs/nrf.md):
/// <list type="number">
/// <item>wait until the node has loaded its data;</item>
/// <item>register (PUT of the whole profile), as REGISTERED, or SUSPENDED when sync is refused; the heartbeat timer is
/// the one the NRF answers;</item>
/// <item>every heartbeat timer, PATCH <c>/nfStatus</c> with the status the NRF should hold; when the node's serving
/// state changes, the same PATCH at once with the new status (SUSPENDED or REGISTERED);</item>
/// <item>a 404 to a PATCH means the NRF lost the profile: register again;</item>
/// <item>a network error, a timeout or any other refusal: retry the same step after a backoff with jitter;</item>
/// <item>on a graceful stop: DELETE, waiting at most <see cref="NrfOptions.DeregisterTimeout"/>. It goes out in
/// <see cref="StoppingAsync"/>, before any hosted service stops (Kestrel included, which the host stops first), so
/// cores stop choosing this node while it still answers them.</item>
/// </list>
/// </summary>
internal sealed class NrfRegistrar : BackgroundService, IHostedLifecycleService
{
    private readonly NrfOptions _options;
    private readonly NrfClient _client;
    private readonly INodeServingState _serving;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Backoff _backoff;

    private volatile NrfRegistrationPhase _phase = NrfRegistrationPhase.WaitingForData;

    // Owned by the loop; read by StopAsync only after the loop has ended.
    private bool _registered;
    private bool _registrationSent;
    private string _status = NfStatus.Registered;
    private int _heartBeatTimer;
    private DateTimeOffset _nextHeartbeat;
    private string? _failingOperation;
    private readonly Lock _shutdownLock = new();
    private Task? _shutdown;

    public NrfRegistrar(IOptions<NrfOptions> options, NrfClient client, INodeServingState serving, TimeProvider time, ILogger<NrfRegistrar> log)
    {
        _options = options.Value;
        _client = client;
        _serving = serving;
        _time = time;
        _log = log;
        _backoff = new Backoff(_options.RetryMinDelay, _options.RetryMaxDelay);
        _heartBeatTimer = _options.HeartBeatTimer;
    }

    public NrfRegistrationPhase Phase => _phase;

    /// <summary>The heartbeat period in use, in seconds: the NRF's answer, or the proposal until it answered.</summary>
    public int HeartBeatTimer => Volatile.Read(ref _heartBeatTimer);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NrfLog.Starting(_log, _client.InstanceUri, _options.AdvertisedUri);
        try
        {
            if (!_serving.IsLoaded)
            {
                NrfLog.WaitingForData(_log);
                while (!_serving.IsLoaded)
                {
                    await Task.Delay(_options.ReadinessPollInterval, _time, stoppingToken).ConfigureAwait(false);
                }
            }

            _phase = NrfRegistrationPhase.Registering;
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = await StepAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One step of the state machine once the data is loaded (register, change the status, or heartbeat, whichever is
    /// due); returns how long to wait before the next step. Never throws but for cancellation.
    /// </summary>
    internal async Task<TimeSpan> StepAsync(CancellationToken ct)
    {
        try
        {
            return await TryStepAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Connection refused, TLS refused, timeout, HTTP/2 not spoken: the same step is tried again.
            return Failed(Describe(ex));
        }
    }

    private async Task<TimeSpan> TryStepAsync(CancellationToken ct)
    {
        var (desired, reason) = Desired();
        var started = _time.GetUtcNow();
        if (!_registered)
        {
            _failingOperation ??= "registration (PUT)";
            _registrationSent = true;
            var answer = await _client.RegisterAsync(NfProfileBuilder.Build(_options, desired), ct).ConfigureAwait(false);
            if (!answer.IsSuccess)
            {
                return Failed(answer.Problem);
            }

            Succeeded();
            _registered = true;
            _status = desired;
            SetHeartBeatTimer(answer.HeartBeatTimer ?? _options.HeartBeatTimer, log: false);
            _nextHeartbeat = started + TimeSpan.FromSeconds(HeartBeatTimer);
            _phase = desired == NfStatus.Registered ? NrfRegistrationPhase.Registered : NrfRegistrationPhase.Suspended;
            NrfLog.Registered(_log, answer.Status, desired, HeartBeatTimer);
            if (desired == NfStatus.Suspended)
            {
                NrfLog.Suspended(_log, reason);
            }

            return WaitFrom(_time.GetUtcNow());
        }

        if (desired != _status || started >= _nextHeartbeat)
        {
            var heartbeat = desired == _status;
            _failingOperation ??= heartbeat ? "heartbeat (PATCH /nfStatus)" : $"status change (PATCH /nfStatus {desired})";
            var answer = await _client.PatchStatusAsync(desired, ct).ConfigureAwait(false);
            if (answer.IsNotFound)
            {
                NrfLog.NotRegistered(_log, heartbeat ? "a heartbeat" : "a status change");
                Succeeded();
                _registered = false;
                _phase = NrfRegistrationPhase.Registering;
                return TimeSpan.Zero;
            }

            if (!answer.IsSuccess)
            {
                return Failed(answer.Problem);
            }

            Succeeded();
            _status = desired;
            if (answer.HeartBeatTimer is { } timer)
            {
                SetHeartBeatTimer(timer, log: true);
            }

            // Any NFUpdate counts as a heartbeat at the NRF (TS 29.510 §5.2.2.3.2).
            _nextHeartbeat = started + TimeSpan.FromSeconds(HeartBeatTimer);
            if (heartbeat)
            {
                NrfLog.Heartbeat(_log, desired, answer.Status);
            }
            else if (desired == NfStatus.Suspended)
            {
                _phase = NrfRegistrationPhase.Suspended;
                NrfLog.Suspended(_log, reason);
            }
            else
            {
                _phase = NrfRegistrationPhase.Registered;
                NrfLog.Resumed(_log);
            }
        }

        return WaitFrom(_time.GetUtcNow());
    }

    /// <summary>The status the NRF should hold now, and why when it is SUSPENDED.</summary>
    private (string Status, string Reason) Desired()
    {
        if (!_serving.IsLoaded)
        {
            return (NfStatus.Suspended, "the node has not loaded its data");
        }

        return _serving.SyncRefusedReason is { } refused
            ? (NfStatus.Suspended, "sync refused: " + refused)
            : (NfStatus.Registered, "");
    }

    // Until the next heartbeat, but look at the serving state at least every poll interval.
    private TimeSpan WaitFrom(DateTimeOffset now)
    {
        var untilHeartbeat = _nextHeartbeat - now;
        return untilHeartbeat < TimeSpan.Zero ? TimeSpan.Zero
            : untilHeartbeat < _options.ReadinessPollInterval ? untilHeartbeat
            : _options.ReadinessPollInterval;
    }

    private void SetHeartBeatTimer(int seconds, bool log)
    {
        var previous = HeartBeatTimer;
        if (previous != seconds)
        {
            Volatile.Write(ref _heartBeatTimer, seconds);
            if (log)
            {
                NrfLog.HeartBeatTimerChanged(_log, seconds, previous);
            }
        }
    }

    // A failure is logged at Warning when it starts; its retries at Debug; its end at Information (Succeeded).
    private TimeSpan Failed(string error)
    {
        var delay = _backoff.NextDelay();
        var operation = _failingOperation ?? "request";
        if (_backoff.Failures == 1)
        {
            NrfLog.Failed(_log, operation, error, delay);
        }
        else
        {
            NrfLog.FailedAgain(_log, operation, _backoff.Failures, error, delay);
        }

        return delay;
    }

    private void Succeeded()
    {
        if (_backoff.Failures > 0)
        {
            NrfLog.Recovered(_log, _failingOperation ?? "request", _backoff.Failures);
            _backoff.Reset();
        }

        _failingOperation = null;
    }

    /// <summary>The host is stopping (before any hosted service stops): stop the loop and deregister.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => ShutdownAsync(cancellationToken);

    /// <summary>Stops the loop and deregisters, unless <see cref="StoppingAsync"/> did already.</summary>
    public override Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Task ShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_shutdownLock)
        {
            return _shutdown ??= DeregisterAsync(cancellationToken);
        }
    }

    private async Task DeregisterAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!_registrationSent)
        {
            _phase = NrfRegistrationPhase.Stopped;
            return;
        }

        // A PUT may have been cut short by the stop after the NRF stored it: delete in every case (404 is fine).
        using var timeout = new CancellationTokenSource(_options.DeregisterTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var answer = await _client.DeregisterAsync(linked.Token).ConfigureAwait(false);
            if (answer.IsSuccess || answer.IsNotFound)
            {
                NrfLog.Deregistered(_log, answer.Status);
            }
            else
            {
                NrfLog.DeregisterFailed(_log, answer.Problem);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            NrfLog.DeregisterFailed(_log, timeout.IsCancellationRequested ? $"no answer within {_options.DeregisterTimeout}" : Describe(ex));
        }

        _registered = false;
        _registrationSent = false;
        _phase = NrfRegistrationPhase.Stopped;
    }

    private string Describe(Exception ex)
    {
        if (ex is TaskCanceledException { InnerException: TimeoutException })
        {
            return $"no answer within {_options.RequestTimeout}";
        }

        // The chain of messages says what failed: "Connection refused", "the remote certificate is invalid …".
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message))
            {
                messages.Add(e.Message);
            }
        }

        return string.Join(" → ", messages).ReplaceLineEndings(" ");
    }
}
