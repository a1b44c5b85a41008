using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Events;
using ImeiEir.Storage;
using StackExchange.Redis;
using ContractKind = ImeiEir.Contracts.V1.EventKind;

namespace ImeiEir.Server.Events;

/// <summary>
/// gRPC EventFeed (role "events"): a thin adapter over the streams' consumer groups. Subscribe reads this
/// consumer's pending events first (delivered before, never acknowledged: a restarted consumer loses nothing), then
/// new ones as they are appended; Acknowledge is XACK.
/// </summary>
internal sealed partial class EventFeedService(
    EventStore store,
    EventSignal signal,
    EventsOptions options,
    TimeProvider time,
    ILogger<EventFeedService> log) : EventFeed.EventFeedBase
{
    private const int ReadCount = 100;
    private const int MaxAcknowledge = 10_000;

    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<Event> responseStream, ServerCallContext context)
    {
        var group = Name(request.ConsumerGroup, "consumer_group");
        var consumer = Name(request.Consumer, "consumer");
        var stream = Stream(request.HomeOperator);
        var kinds = new HashSet<ContractKind>();
        foreach (var k in request.Kinds)
        {
            if (k is ContractKind.Unspecified || !System.Enum.IsDefined(k))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"kinds: {(int)k} is not an event kind"));
            }

            kinds.Add(k);
        }

        var ct = context.CancellationToken;
        try
        {
            await Redis(() => store.EnsureGroupAsync(stream, group)).ConfigureAwait(false);

            // Headers now, before any event: a client can tell "the feed is open" from "no event yet" (eir events
            // counts its idle time from here, not from the connection's set-up).
            await context.WriteResponseHeadersAsync(new Metadata()).ConfigureAwait(false);

            // 1. What this consumer was given before and has not acknowledged, oldest first.
            RedisValue after = "0-0";
            while (true)
            {
                var pending = await Redis(() => store.ReadGroupAsync(stream, group, consumer, after, ReadCount)).ConfigureAwait(false);
                if (pending.Length == 0)
                {
                    break;
                }

                await DeliverAsync(pending, stream, group, kinds, responseStream, ct).ConfigureAwait(false);
                after = pending[^1].Id;
            }

            // 2. New events, as they come: read, else wait for the next append anywhere (or the poll interval).
            while (!ct.IsCancellationRequested)
            {
                var wake = signal.Next;
                var fresh = await Redis(() => store.ReadGroupAsync(stream, group, consumer, StreamPosition.NewMessages, ReadCount)).ConfigureAwait(false);
                if (fresh.Length > 0)
                {
                    await DeliverAsync(fresh, stream, group, kinds, responseStream, ct).ConfigureAwait(false);
                    continue;
                }

                await Task.WhenAny(wake, Task.Delay(options.SubscribePollInterval, time, ct)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException) when (ct.IsCancellationRequested)
        {
            // Writing to a response stream the client has just closed.
        }

        EventsLog.SubscriptionEnded(log, consumer, group, stream.ToString(), "client left or node stopping");
    }

    public override async Task<AcknowledgeResponse> Acknowledge(AcknowledgeRequest request, ServerCallContext context)
    {
        var group = Name(request.ConsumerGroup, "consumer_group");
        var stream = Stream(request.HomeOperator);
        if (request.EventIds.Count > MaxAcknowledge)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"event_ids: at most {MaxAcknowledge} per call"));
        }

        var ids = new RedisValue[request.EventIds.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = request.EventIds[i];
            if (!EventId().IsMatch(id))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"event_ids[{i}]: not an event id (<ms>-<n>)"));
            }

            ids[i] = id;
        }

        if (ids.Length == 0)
        {
            return new AcknowledgeResponse();
        }

        try
        {
            var n = await Redis(() => store.AcknowledgeAsync(stream, group, ids)).ConfigureAwait(false);
            return new AcknowledgeResponse { Acknowledged = (uint)n };
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            return new AcknowledgeResponse(); // nothing was delivered to a group that does not exist
        }
    }

    public override async Task<ReportClonesResponse> ReportClones(ReportClonesRequest request, ServerCallContext context)
    {
        var limit = request.Limit == 0 ? 1000 : (int)Math.Min(request.Limit, 100_000);
        var since = time.GetUtcNow().AddDays(-1).ToUnixTimeMilliseconds();
        var clones = await Redis(() => store.ReadClonesAsync(limit, since)).ConfigureAwait(false);
        var reply = new ReportClonesResponse();
        foreach (var (imei, count, at) in clones)
        {
            reply.Suspects.Add(new CloneSuspect { Imei = imei, DistinctImsis = (uint)count, RaisedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(at)) });
        }

        return reply;
    }

    private async Task DeliverAsync(StreamEntry[] entries, RedisKey stream, string group, HashSet<ContractKind> kinds, IServerStreamWriter<Event> responseStream, CancellationToken ct)
    {
        List<RedisValue>? skipped = null;
        foreach (var entry in entries)
        {
            ct.ThrowIfCancellationRequested();
            var e = EventRecord.FromEntry(entry);
            if (e is null || (kinds.Count > 0 && !kinds.Contains((ContractKind)e.Kind)))
            {
                // Trimmed while pending, or a kind this subscription does not want: handled for the group.
                (skipped ??= []).Add(entry.Id);
                continue;
            }

            await responseStream.WriteAsync(ToContract(entry.Id.ToString(), e), ct).ConfigureAwait(false);
        }

        if (skipped is not null)
        {
            await Redis(() => store.AcknowledgeAsync(stream, group, [.. skipped])).ConfigureAwait(false);
        }
    }

    public static Event ToContract(string id, EventRecord e)
    {
        var x = new Event
        {
            Id = id,
            Kind = (ContractKind)e.Kind,
            Time = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs)),
            Imei = e.Imei,
            Msisdn = e.Msisdn,
            Imsi = e.Imsi,
            HomeOperator = e.HomeOperator,
            Interface = e.Interface,
            Node = e.Node,
        };
        if (e.GraceExpiresMs != 0)
        {
            x.GraceExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(e.GraceExpiresMs));
        }

        return x;
    }

    private RedisKey Stream(string homeOperator)
    {
        if (homeOperator.Length > 0 && !HomeOperators.IsWellFormed(homeOperator))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "home_operator: must be MCC-MNC, e.g. 437-01 (or empty: every operator)"));
        }

        return store.Keys.Stream(homeOperator);
    }

    private static string Name(string value, string field)
        => ConsumerName().IsMatch(value)
            ? value
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field}: required, 1 to 64 of letters, digits, '.', '_', '-'"));

    private static async Task<T> Redis<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or StoreUnavailableException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "events store unavailable; retry"));
        }
    }

    private static async Task Redis(Func<Task> call) => await Redis(async () =>
    {
        await call().ConfigureAwait(false);
        return 0;
    }).ConfigureAwait(false);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ConsumerName();

    [GeneratedRegex("^[0-9]{1,20}-[0-9]{1,20}$")]
    private static partial Regex EventId();
}
