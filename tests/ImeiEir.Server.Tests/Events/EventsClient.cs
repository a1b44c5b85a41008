using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Events;
using ImeiEir.Server.Security;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests.Events;

/// <summary>A node's settings with an "events" client, and subscriptions read one event at a time.</summary>
internal static class EventsClient
{
    public const string Key = "events-key-0123456789";

    /// <summary>TestNode settings: client 4 has role events; the node's name.</summary>
    public static Dictionary<string, string?> Settings(string node, IDictionary<string, string?>? more = null)
    {
        var s = new Dictionary<string, string?>
        {
            ["Auth:Clients:4:Name"] = "sms-gateway",
            ["Auth:Clients:4:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))),
            ["Auth:Clients:4:Roles:0"] = Roles.Events,
            ["Events:NodeName"] = node,
        };
        foreach (var kv in more ?? new Dictionary<string, string?>())
        {
            s[kv.Key] = kv.Value;
        }

        return s;
    }

    public static EventFeed.EventFeedClient Feed(this TestNode node) => new(node.Channel);

    public static async Task<uint> AckAsync(this TestNode node, string group, IEnumerable<string> ids, string op = "")
    {
        var request = new AcknowledgeRequest { ConsumerGroup = group, HomeOperator = op };
        request.EventIds.AddRange(ids);
        return (await node.Feed().AcknowledgeAsync(request, TestNode.Auth(Key))).Acknowledged;
    }

    /// <summary>Waits until the node's publisher has handled <paramref name="count"/> observations (raised or repeats).</summary>
    public static Task PublishedAsync(this TestNode node, long count)
        => Eventually.TrueAsync(() => node.Services.GetRequiredService<EventPublisher>().Processed >= count, $"{count} observations published");
}

/// <summary>One Subscribe call, its events collected as they arrive.</summary>
internal sealed class Subscription : IAsyncDisposable
{
    private readonly AsyncServerStreamingCall<Event> _call;
    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>();
    private readonly Task _reader;

    public Subscription(TestNode node, string group, string consumer, string op = "", params ImeiEir.Contracts.V1.EventKind[] kinds)
    {
        var request = new SubscribeRequest { ConsumerGroup = group, Consumer = consumer, HomeOperator = op };
        request.Kinds.AddRange(kinds);
        _call = node.Feed().Subscribe(request, TestNode.Auth(EventsClient.Key));
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in _call.ResponseStream.ReadAllAsync())
                {
                    await _events.Writer.WriteAsync(e);
                }

                _events.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                _events.Writer.TryComplete(ex);
            }
        });
    }

    /// <summary>The next event (patience as <see cref="Eventually.DefaultPatience"/>: not a speed assertion).</summary>
    public async Task<Event> NextAsync()
    {
        using var cts = new CancellationTokenSource(Eventually.DefaultPatience);
        return await _events.Reader.ReadAsync(cts.Token);
    }

    public async Task<List<Event>> NextAsync(int count)
    {
        var list = new List<Event>();
        for (var i = 0; i < count; i++)
        {
            list.Add(await NextAsync());
        }

        return list;
    }

    /// <summary>Events until (and with) the first that satisfies <paramref name="last"/>.</summary>
    public async Task<List<Event>> UntilAsync(Func<Event, bool> last)
    {
        var list = new List<Event>();
        while (true)
        {
            var e = await NextAsync();
            list.Add(e);
            if (last(e))
            {
                return list;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader;
        }
        catch (RpcException)
        {
        }
    }
}
