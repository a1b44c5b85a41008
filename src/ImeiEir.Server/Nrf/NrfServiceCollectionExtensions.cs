using ImeiEir.Server.Nrf;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// The namespace of IServiceCollection, as for AddGrpc and AddHttpClient: the host calls AddNrfRegistration without a
// using of its own.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration for the host: <c>services.AddNrfRegistration(config)</c>.</summary>
public static class NrfServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="NrfOptions"/> to the <c>Nrf</c> section and validates it at start. When <c>Nrf:Uri</c> is set,
    /// also adds the NRF HTTP client and <see cref="NrfRegistrar"/> as a hosted service (stopped before the data
    /// services, so the deregistration goes out first). The node's serving state comes from
    /// the index and <see cref="ImeiEir.Storage.SyncRefusal"/> unless an <see cref="INodeServingState"/> was registered before.
    /// </summary>
    public static IServiceCollection AddNrfRegistration(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(NrfOptions.SectionName);
        services.AddOptions<NrfOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NrfOptions>, NrfOptionsValidator>());
        if (string.IsNullOrWhiteSpace(section[nameof(NrfOptions.Uri)]))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<INodeServingState, ReplicatedIndexServingState>();
        services.AddHttpClient(NrfClient.HttpClientName, (sp, client) =>
            {
                var options = sp.GetRequiredService<IOptions<NrfOptions>>().Value;
                client.Timeout = options.RequestTimeout;
                // An NFProfile is a few kB; an NRF answering megabytes is broken.
                client.MaxResponseContentBufferSize = 1 << 20;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => NrfTls.CreateHandler(sp.GetRequiredService<IOptions<NrfOptions>>().Value))
            // The factory would log every heartbeat at Information; NrfLog says what matters.
            .RemoveAllLoggers();
        services.AddSingleton<NrfClient>();
        services.AddSingleton<NrfRegistrar>();
        services.AddHostedService(sp => sp.GetRequiredService<NrfRegistrar>());
        return services;
    }
}
