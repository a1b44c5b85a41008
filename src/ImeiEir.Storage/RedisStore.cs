using ImeiEir.Storage.Audit;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// A node's Redis, by what it holds (docs/redis-schema.md): the history (<see cref="Log"/>), the commit script
/// (<see cref="Commits"/>), the audit trail, checkpoints and grace marks, all over one connection
/// (<see cref="Connection"/>) and one key schema (<see cref="Keys"/>). Only Redis calls: no policy, no state.
/// </summary>
public sealed class RedisStore : IAsyncDisposable
{
    private readonly bool _ownsConnection;

    /// <summary>A store over the node's connection (the host's singleton).</summary>
    public RedisStore(RedisOptions options, RedisConnectionProvider connection, AuditOptions? audit = null)
        : this(options, connection, ownsConnection: false, audit)
    {
    }

    /// <summary>A store with a connection of its own, closed with it (tools and tests).</summary>
    public RedisStore(RedisOptions options, ILogger<RedisConnectionProvider>? log = null, AuditOptions? audit = null)
        : this(options, new RedisConnectionProvider(options, log), ownsConnection: true, audit)
    {
    }

    private RedisStore(RedisOptions options, RedisConnectionProvider connection, bool ownsConnection, AuditOptions? audit)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ownsConnection = ownsConnection;
        Connection = connection;
        Keys = new RedisKeys(options.KeyPrefix);
        Log = new RedisLog(connection, Keys, options);
        Audit = new AuditTrail(() => connection.Database, Keys.Audit);
        Commits = new BatchCommitter(connection, Keys, options, Audit, audit ?? new AuditOptions());
        Checkpoints = new CheckpointStore(connection, Keys, options);
        GraceMarks = new GraceMarkStore(connection, Keys);
    }

    public RedisConnectionProvider Connection { get; }

    public RedisKeys Keys { get; }

    public RedisLog Log { get; }

    public BatchCommitter Commits { get; }

    /// <summary>The audit trail (written by <see cref="Commits"/>, read by <c>RegistrySync.GetAudit</c>).</summary>
    public AuditTrail Audit { get; }

    public CheckpointStore Checkpoints { get; }

    public GraceMarkStore GraceMarks { get; }

    public bool IsConnected => Connection.IsConnected;

    /// <summary>The connection's subscriber (its <c>Multiplexer</c> is the node's one connection); throws <see cref="StoreUnavailableException"/> until connected.</summary>
    public ISubscriber Subscriber => Connection.Subscriber;

    public Task ConnectAsync() => Connection.ConnectAsync();

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
