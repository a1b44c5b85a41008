namespace ImeiEir.Server.Tests;

/// <summary>A test class with a private <c>redis-server</c> of its own, started before its tests and stopped after.</summary>
public abstract class RedisTest : IAsyncLifetime
{
    protected RedisServer Redis { get; } = new();

    public virtual Task InitializeAsync() => Redis.StartAsync();

    public virtual Task DisposeAsync() => Redis.DisposeAsync().AsTask();
}

/// <summary>A test class with one real node on its own private redis-server, started before and stopped after.</summary>
public abstract class NodeTest : RedisTest
{
    protected TestNode Node { get; private set; } = null!;

    /// <summary>Settings the node starts with on top of <see cref="TestNode"/>'s.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Node = await TestNode.StartAsync(Redis.Configuration, Settings);
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await Node.DisposeAsync();
        }
        finally
        {
            await base.DisposeAsync();
        }
    }
}
