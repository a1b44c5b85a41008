using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImeiEir.Diameter;

/// <summary>Registration for the host: <c>builder.Services.AddDiameterS13(builder.Configuration)</c>.</summary>
public static class DiameterServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="DiameterOptions"/> to the <c>Diameter</c> section, validates it at start, and runs
    /// <see cref="DiameterServer"/> as a hosted service (it listens only when <c>Diameter:Listen</c> is set). Needs an
    /// <see cref="Core.Policy.EquipmentChecker"/> registered.
    /// </summary>
    public static IServiceCollection AddDiameterS13(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DiameterOptions>()
            .Bind(configuration.GetSection(DiameterOptions.SectionName))
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        services.AddSingleton<DiameterServer>();
        services.AddHostedService(sp => sp.GetRequiredService<DiameterServer>());
        return services;
    }
}
