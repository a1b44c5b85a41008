using ImeiEir.Tests.Shared;
using StackExchange.Redis;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>
/// One private redis-server for a test class (started once: a server per test would cost more than the tests), and a
/// raw connection to it for reading keys the way docs/redis-schema.md names them. Each test works under a key prefix
/// of its own (<see cref="NewPrefix"/>), so tests of a class never see each other's keys.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private readonly RedisServer _server = new();
    private ConnectionMultiplexer? _raw;

    public string Configuration => _server.Configuration;

    /// <summary>A plain StackExchange.Redis connection, independent of the code under test.</summary>
    public ConnectionMultiplexer Raw => _raw ?? throw new InvalidOperationException("The fixture is not started.");

    public IDatabase Db => Raw.GetDatabase();

    public IServer Server => Raw.GetServer(Raw.GetEndPoints()[0]);

    /// <summary>A <c>Redis:KeyPrefix</c> no other test uses.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..16];

    public async Task InitializeAsync()
    {
        await _server.StartAsync();
        _raw = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
    }

    public async Task DisposeAsync()
    {
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        await _server.DisposeAsync();
    }
}
