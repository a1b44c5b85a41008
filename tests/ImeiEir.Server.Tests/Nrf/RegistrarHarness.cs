using ImeiEir.Server.Nrf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>
/// The NRF registration as the host wires it (<c>AddNrfRegistration</c> over a configuration, real HttpClient, real
/// TLS, real timers), without the rest of the node: its serving state is a <see cref="FakeServingState"/> the test
/// drives, and its log lines are captured. Started like the host starts hosted services; <see cref="StopAsync"/> is
/// a graceful stop.
/// </summary>
internal sealed class RegistrarHarness : IAsyncDisposable
{
    /// <summary>The NfInstanceId the tests register (a UUID v4).</summary>
    public const string InstanceId = "4947a69a-f61b-4bc1-b9da-47c9c5d14b64";

    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private bool _stopped;

    private RegistrarHarness(ServiceProvider services, FakeServingState serving, LogCapture logs)
    {
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
        Serving = serving;
        Logs = logs;
    }

    public FakeServingState Serving { get; }

    public LogCapture Logs { get; }

    public NrfRegistrar Registrar => _services.GetRequiredService<NrfRegistrar>();

    /// <summary>Settings every harness starts with: short retries and readiness polls, a proposed heartbeat of 60 s.</summary>
    public static Dictionary<string, string?> BaseSettings(FakeNrf nrf) => new()
    {
        ["Nrf:Uri"] = nrf.Uri,
        ["Nrf:NfInstanceId"] = InstanceId,
        ["Nrf:AdvertisedUri"] = "https://10.20.30.40:8443",
        ["Nrf:PlmnList:0:Mcc"] = "437",
        ["Nrf:PlmnList:0:Mnc"] = "01",
        ["Nrf:HeartBeatTimer"] = "60",
        ["Nrf:RetryMinDelay"] = "00:00:00.200",
        ["Nrf:RetryMaxDelay"] = "00:00:01",
        ["Nrf:ReadinessPollInterval"] = "00:00:00.100",
        ["Nrf:RequestTimeout"] = "00:00:03",
    };

    public static async Task<RegistrarHarness> StartAsync(IDictionary<string, string?> settings, FakeServingState? serving = null)
    {
        serving ??= new FakeServingState();
        var logs = new LogCapture("ImeiEir.Server.Nrf");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddSingleton<INodeServingState>(serving);
        services.AddNrfRegistration(configuration);
        var provider = services.BuildServiceProvider();
        var harness = new RegistrarHarness(provider, serving, logs);
        foreach (var hosted in harness._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    /// <summary>A graceful stop, as on SIGTERM.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        for (var i = _hosted.Count - 1; i >= 0; i--)
        {
            await _hosted[i].StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
