using ImeiEir.Core.Events;
using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;
using ImeiEir.Server.Security;

namespace ImeiEir.Server.Events;

/// <summary>The host's two lines: <c>services.AddEirEvents()</c> and <c>app.MapEirEvents()</c>.</summary>
internal static class EventsSetup
{
    /// <summary><c>Events</c> settings (validated at start), the check path's observer, the publisher and the warning sweeper.</summary>
    public static IServiceCollection AddEirEvents(this IServiceCollection services)
    {
        services.AddValidatedOptions<EventsOptions>(EventsOptions.SectionName, o => o.Validate());
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<EventsOptions>();
            return new EventWindows(o.Retention, o.NotRegisteredEvery, o.StolenSeenEvery, TimeSpan.FromDays(1));
        });
        services.AddSingleton(sp => new EventQueue(sp.GetRequiredService<EventsOptions>().QueueCapacity));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<EventsOptions>();
            return new CheckEventObserver(
                sp.GetRequiredService<EventWindows>(),
                sp.GetRequiredService<EventQueue>(),
                new RecentEvents(o.RecentEventSlots),
                o.CloneThreshold > 0 ? new ImsiSightings(o.CloneTableSlots) : null,
                sp.GetRequiredService<PolicyOptions>().HomeMcc);
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<EventsOptions>();
            return new EventFactory(new HomeOperators(o.EffectiveThreeDigitMncCountries), o.EffectiveNodeName);
        });
        services.AddSingleton<EventsRedis>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<EventSignal>();
        services.AddSingleton<EventsMetrics>();
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<GraceWarningSweeper>();
        services.AddHostedService<CheckObserverAttachment>();
        services.AddHostedService(sp => sp.GetRequiredService<EventPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<GraceWarningSweeper>());
        return services;
    }

    /// <summary>EventFeed, for clients with role "events".</summary>
    public static IEndpointRouteBuilder MapEirEvents(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<EventFeedService>().RequireRole(app, Roles.Events);
        return app;
    }
}
