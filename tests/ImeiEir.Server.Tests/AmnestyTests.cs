using ImeiEir.Contracts.V1;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests;

/// <summary>The amnesty window: an unknown IMEI is bound to its subscriber and allowed; the binding is durable.</summary>
public sealed class AmnestyTests : RedisTest
{

    [Fact]
    public async Task Check_WindowOpen_AutoWhitelistedThenBoundClusterWide()
    {
        var window = new Dictionary<string, string?>
        {
            ["Policy:AutoWhitelist:Start"] = DateTimeOffset.UtcNow.AddDays(-1).ToString("O"),
            ["Policy:AutoWhitelist:End"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O"),
        };
        await using var a = await TestNode.StartAsync(Redis.Configuration, window);

        var first = await a.CheckAsync("86753090000001", "996700123456");
        var state = await Eventually.ReachAsync(a.SyncStateAsync, s => s.Bindings == 1);

        await using var b = await TestNode.StartAsync(Redis.Configuration);
        var onB = await b.CheckAsync("86753090000001", "996700123456");
        var otherNumberOnB = await b.CheckAsync("86753090000001", "996700999999");

        Assert.Equal((Verdict.Allow, Reason.AutoWhitelisted), (first.Verdict, first.Reason));
        Assert.Equal(1UL, state.Bindings);
        Assert.Equal(Reason.BoundSubscriber, onB.Reason);
        Assert.Equal(Reason.NumberSwitchGrace, otherNumberOnB.Reason);
    }
}
