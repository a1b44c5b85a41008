using ImeiEir.Core.Overload;
using ImeiEir.Server.Grpc;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.Overload;

/// <summary>The host's two lines: <c>services.AddEirOverload()</c> and <c>app.UseCheckAdmission()</c>.</summary>
internal static class OverloadSetup
{
    /// <summary>
    /// <c>Overload</c> settings (validated at start), the queue-delay monitor (a hosted service), the gate (also as
    /// <see cref="IOverloadGate"/>, which the Diameter server takes), and the per-client limit on RegistrySync.
    /// </summary>
    public static IServiceCollection AddEirOverload(this IServiceCollection services)
    {
        services.AddValidatedOptions<OverloadOptions>(OverloadOptions.SectionName, o => o.Validate());
        services.AddSingleton<QueueDelayMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueDelayMonitor>());
        services.AddSingleton<OverloadMetrics>();
        services.AddSingleton<OverloadGate>();
        services.AddSingleton<IOverloadGate>(sp => sp.GetRequiredService<OverloadGate>());
        services.AddSingleton<SyncCallLimit>();
        services.AddGrpc().AddServiceOptions<RegistrySyncService>(o => o.Interceptors.Add<SyncCallLimit>());
        return services;
    }

    /// <summary>Admission of checks: after routing and the port guard, before authentication (see <see cref="CheckAdmission"/>).</summary>
    public static IApplicationBuilder UseCheckAdmission(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<OverloadOptions>();
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("ImeiEir.Server.Overload");
        OverloadLog.Settings(
            log,
            options.Enabled ? "on" : "OFF (Overload:Enabled=false: checks are never refused for load)",
            options.MaxQueueDelay,
            options.BurstTolerance,
            options.EffectiveMaxConcurrentChecks,
            options.SyncStreamsPerClient);
        return app.UseMiddleware<CheckAdmission>();
    }
}
