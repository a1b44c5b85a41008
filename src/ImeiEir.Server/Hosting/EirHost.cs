using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter;
using ImeiEir.Server.Events;
using ImeiEir.Server.Grpc;
using ImeiEir.Server.N5gEir;
using ImeiEir.Server.Overload;
using ImeiEir.Server.Security;
using ImeiEir.Storage;
using ImeiEir.Storage.Audit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace ImeiEir.Server.Hosting;

/// <summary>Builds the node: options, core, store, interfaces and endpoints. Tests build the same host.</summary>
public static partial class EirHost
{
    /// <summary>Concurrent HTTP/2 streams per connection unless <c>Kestrel:Limits:Http2:MaxStreamsPerConnection</c> says otherwise.</summary>
    public const int DefaultMaxStreamsPerConnection = 128;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the binaries' folder, so appsettings.json is found whatever the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        var config = builder.Configuration;

        // Kestrel: no Server header (nothing to fingerprint); at most 128 concurrent streams per HTTP/2 connection. A
        // core multiplexes many attaches on few connections, but past a few hundred streams a connection costs Kestrel
        // more per call (each stream's objects outlive young collections): one core answered 129 000 N5g-eir calls/s
        // at 4 x 64 streams and 47 000 at 4 x 1 000 (bench/RESULTS.md, "Overload"), so a client that opened 1 000
        // streams could push the node into a collapse that no shedding undoes. Clients open more connections
        // (gRPC: EnableMultipleHttp2Connections) or wait for a stream.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.Http2.MaxStreamsPerConnection = config.GetValue("Kestrel:Limits:Http2:MaxStreamsPerConnection", DefaultMaxStreamsPerConnection);
        });

        builder.AddEirSecurity(); // TLS defaults, credentials, one policy per role (Security/)
        var services = builder.Services;
        // Every section one way: bound, checked at start by its own Validate() (errors name the setting).
        services.AddValidatedOptions<PolicyOptions>("Policy", o => o.Validate());
        services.AddValidatedOptions<RedisOptions>("Redis", o => o.Validate());
        services.AddValidatedOptions<IndexOptions>(IndexOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<AuditOptions>("Audit", o => o.Validate());
        services.AddValidatedOptions<HeapTrimOptions>(HeapTrimOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<WriterOptions>(WriterOptions.SectionName, o => o.Validate());
        services.AddSingleton(EndpointPorts.From(config));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<EirIndex>();
        services.AddRegistryStorage(); // Redis, hydration, following, the commit pipeline (src/ImeiEir.Storage/README.md)
        services.AddSingleton(sp => new EquipmentChecker(
            sp.GetRequiredService<EirIndex>(),
            sp.GetRequiredService<ClusterGraceMarks>(),
            sp.GetRequiredService<PolicyOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<AmnestyBinder>()));
        services.AddSingleton<EirMetrics>();
        services.AddEirOverload(); // shedding checks, deadlines, sync calls per client (Overload/, settings Overload:*)
        services.AddDiameterS13(config); // listens only when Diameter:Listen is set
        services.AddNrfRegistration(config);
        services.AddEirEvents(); // subscriber notification events and EventFeed (Events/, settings Events:*)

        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = 64 << 20; // a 10 000-item CheckBatch or a full DeltaBatch
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<ReadinessCheck>("index", tags: ["ready"]);
        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            // gRPC health follows readiness within a second (the default first publish is after 5 s).
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(1);
        });
        // The node's own meter, and the runtime's (GC collections and pause time, heap, thread-pool queue, CPU): a
        // collection pause stops checks too, so it belongs beside the check latency.
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(EirMetrics.MeterName, "System.Runtime").AddPrometheusExporter());

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ImeiEir.Server");
        app.LogSecuritySettings(log);

        // Routing first, so the port split and the role policies decide on the endpoint that will run, not on the
        // spelling of the path (routing matches paths case-insensitively).
        app.UseRouting();
        app.UseMiddleware<EndpointGuard>();
        app.UseCheckAdmission(); // before authentication: a refusal must cost less than an answer (Overload/)
        app.UseAuthorization();
        if (config.GetValue("Benchmark:NoopCheck", false))
        {
            Log.NoopCheck(log);
            app.MapGrpcService<NoopEquipmentCheckService>().RequireRole(app, Roles.Check, EndpointCredentials.GrpcCheck);
        }
        else
        {
            app.MapGrpcService<EquipmentCheckService>().RequireRole(app, Roles.Check, EndpointCredentials.GrpcCheck);
        }

        app.MapGrpcService<SelfServiceService>().RequireRole(app, Roles.SelfService);
        app.MapGrpcService<RegistrySyncService>().RequireRole(app, Roles.Sync);
        app.MapN5gEirEquipmentIdentityCheck().RequireRole(app, Roles.Check, EndpointCredentials.N5gEir);
        app.MapEirEvents(); // EventFeed, role events
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapHealthChecks("/readyz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");

        // Metrics are observable gauges over the replica: create them now so the first scrape has them.
        app.Services.GetRequiredService<EirMetrics>();
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1003, Level = LogLevel.Critical, Message = "Benchmark:NoopCheck=true: EquipmentCheck answers without checking anything (transport baseline). Never in production.")]
        public static partial void NoopCheck(ILogger logger);
    }
}

/// <summary>Ready once the node serves its data (never DENY from an empty index).</summary>
internal sealed class ReadinessCheck(EirIndex index, SyncRefusal refusal) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!index.IsLoaded)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("loading data from Redis"));
        }

        var view = index.Current;
        var note = refusal.Reason is { } d ? $"; SYNC REFUSED: {d}" : "";
        return Task.FromResult(HealthCheckResult.Healthy($"serving sequence {view.Sequence}{note}"));
    }
}
