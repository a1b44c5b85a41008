using System.Globalization;
using ImeiEir.Core.Policy;
using ImeiEir.Tests.Shared;
using StackExchange.Redis;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// One test's cluster: a key prefix of its own on the class's Redis, the stores and nodes opened on it (disposed
/// with it), and raw reads of its keys as docs/redis-schema.md describes them.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly RedisFixture _redis;
    private readonly List<IAsyncDisposable> _owned = [];

    public TestCluster(RedisFixture redis)
    {
        _redis = redis;
        Prefix = RedisFixture.NewPrefix();
    }

    /// <summary>This cluster's <c>Redis:KeyPrefix</c>.</summary>
    public string Prefix { get; }

    /// <summary>The raw connection's database (not the code under test).</summary>
    public IDatabase Db => _redis.Db;

    public ConnectionMultiplexer Raw => _redis.Raw;

    public RedisOptions Options(Action<RedisOptions>? tweak = null)
    {
        var options = new RedisOptions { Configuration = _redis.Configuration, KeyPrefix = Prefix };
        tweak?.Invoke(options);
        options.Validate();
        return options;
    }

    /// <summary>A connected store of this cluster (a node's Redis side, without the node).</summary>
    public async Task<RedisStore> OpenStoreAsync(Action<RedisOptions>? tweak = null)
    {
        var store = new RedisStore(Options(tweak));
        _owned.Add(store);
        await store.ConnectAsync();
        return store;
    }

    /// <summary>A writer committing through <see cref="BatchCommitter.CommitAsync"/> directly (no pipeline, no subscription).</summary>
    public async Task<StoreWriter> OpenWriterAsync(Action<RedisOptions>? tweak = null)
        => await StoreWriter.CreateAsync(await OpenStoreAsync(tweak));

    /// <summary>A node (<see cref="RegistryHost"/> and its parts) started on this cluster, loaded.</summary>
    public async Task<Node> StartNodeAsync(Action<RedisOptions>? tweak = null, PolicyOptions? policy = null, Func<Task>? directoryGate = null)
    {
        var node = await Node.StartAsync(Options(tweak), policy ?? new PolicyOptions(), directoryGate);
        _owned.Add(node);
        return node;
    }

    /// <summary>The full name of a key of this cluster (<c>seq</c> → <c>&lt;prefix&gt;:seq</c>).</summary>
    public RedisKey Key(string suffix) => Prefix + ":" + suffix;

    public RedisChannel ChangeChannel => RedisChannel.Literal(Prefix + ":events");

    public RedisChannel GraceChannel => RedisChannel.Literal(Prefix + ":grace-events");

    /// <summary><c>&lt;prefix&gt;:seq</c>, 0 when absent.</summary>
    public async Task<long> SequenceAsync()
    {
        var v = await Db.StringGetAsync(Key("seq"));
        return v.IsNull ? 0 : (long)v;
    }

    /// <summary>The sequences of the entries in <c>&lt;prefix&gt;:log</c>, in order (from their ids <c>&lt;seq&gt;-1</c>).</summary>
    public async Task<long[]> LogSequencesAsync()
    {
        var entries = await Db.StreamRangeAsync(Key("log"));
        return [.. entries.Select(e =>
        {
            var id = e.Id.ToString();
            Assert.EndsWith("-1", id);
            return long.Parse(id[..^2], CultureInfo.InvariantCulture);
        })];
    }

    /// <summary>Every key of this cluster with its serialized value (<c>DUMP</c>): equal before and after means nothing was written.</summary>
    public async Task<SortedDictionary<string, string>> DumpAsync()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in _redis.Server.KeysAsync(pattern: Prefix + ":*"))
        {
            var dump = await Db.KeyDumpAsync(key);
            if (dump is not null)
            {
                result[key.ToString()] = Convert.ToHexString(dump);
            }
        }

        return result;
    }

    /// <summary>Deletes every key of this cluster: Redis emptied, as far as this cluster can tell.</summary>
    public async Task WipeAsync()
    {
        await foreach (var key in _redis.Server.KeysAsync(pattern: Prefix + ":*"))
        {
            await Db.KeyDeleteAsync(key);
        }
    }

    /// <summary>How many connections Redis counts as subscribed to <paramref name="channel"/> (<c>PUBSUB NUMSUB</c>).</summary>
    public async Task<long> SubscribersAsync(RedisChannel channel)
    {
        var r = (RedisResult[])(await Db.ExecuteAsync("PUBSUB", "NUMSUB", channel.ToString()))!;
        return (long)r[1];
    }

    /// <summary>
    /// Waits until Redis counts exactly <paramref name="count"/> connections subscribed to change notifications (a node
    /// subscribes once it has loaded; nodes and writers of a test are told apart by how many there are).
    /// </summary>
    public async Task WaitForSubscribersAsync(long count)
        => Assert.Equal(count, await Eventually.ReachAsync(() => SubscribersAsync(ChangeChannel), n => n == count));

    /// <summary>Waits until Redis counts exactly <paramref name="count"/> connections subscribed to grace mark announcements.</summary>
    public async Task WaitForGraceSubscribersAsync(long count)
        => Assert.Equal(count, await Eventually.ReachAsync(() => SubscribersAsync(GraceChannel), n => n == count));

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }
}
