namespace ImeiEir.Server.Tests;

/// <summary>A test class with one real node on its own private redis-server, started before and stopped after.</summary>
public abstract class NodeTest : IAsyncLifetime
{
    protected RedisServer Redis { get; } = new();

    protected TestNode Node { get; private set; } = null!;

    /// <summary>Settings the node starts with on top of <see cref="TestNode"/>'s.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public virtual async Task InitializeAsync()
    {
        await Redis.StartAsync();
        Node = await TestNode.StartAsync(Redis.Configuration, Settings);
    }

    public virtual async Task DisposeAsync()
    {
        try
        {
            await Node.DisposeAsync();
        }
        finally
        {
            await Redis.DisposeAsync();
        }
    }
}
