using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;
using ImeiEir.Storage.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>How a node wires the write side (README.md beside this file), each part registered once.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The Redis connection (<see cref="RedisConnectionProvider"/>, one per node), the store, the parts that keep the
    /// index equal to Redis, the Core-facing <see cref="IRegistryWriter"/> and <see cref="IDeviceStatusReader"/>, and
    /// <see cref="RegistryHost"/> as the hosted service that runs them, and <see cref="WriteBurstHeapTrim"/> (with
    /// <see cref="HeapTrimOptions"/> if registered, else their defaults), and the <see cref="WriterThread"/> the write
    /// work runs on (with <see cref="WriterOptions"/> if registered). Needs <see cref="RedisOptions"/>,
    /// <see cref="Core.Policy.PolicyOptions"/>, <see cref="Core.Index.EirIndex"/> and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddRegistryStorage(this IServiceCollection services)
    {
        services.AddSingleton<RedisConnectionProvider>();
        services.AddSingleton(sp => new RedisStore(sp.GetRequiredService<RedisOptions>(), sp.GetRequiredService<RedisConnectionProvider>(), sp.GetService<AuditOptions>()));
        services.AddSingleton(sp => sp.GetRequiredService<RedisStore>().Audit);
        services.AddSingleton<DeviceDirectory>();
        services.AddSingleton<ClusterGraceMarks>();
        services.AddSingleton<WriterTurn>();
        services.AddSingleton(sp => new WriterThread(sp.GetService<WriterOptions>() ?? new()));
        services.AddSingleton<SyncRefusal>();
        services.AddSingleton<Checkpointer>();
        services.AddSingleton<LogFollower>();
        services.AddSingleton<CommitPipeline>();
        services.AddSingleton<IRegistryWriter>(sp => sp.GetRequiredService<CommitPipeline>());
        services.AddSingleton<AmnestyBinder>();
        services.AddSingleton<IDeviceStatusReader, DeviceStatusReader>();
        services.AddHostedService<RegistryHost>();
        services.AddHostedService(sp => new WriteBurstHeapTrim(sp.GetRequiredService<EirIndex>(), sp.GetService<HeapTrimOptions>() ?? new(), sp.GetRequiredService<ILogger<WriteBurstHeapTrim>>(), sp.GetRequiredService<LogFollower>().DirectoryLoaded));
        return services;
    }
}
