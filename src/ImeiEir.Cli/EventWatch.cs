using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Cli;

/// <summary>
/// <c>eir events</c>: one EventFeed.Subscribe call, each event printed as it comes (and acknowledged with
/// <c>--ack</c>). Without <c>--follow</c> it stops once nothing has come for the idle time: the consumer's pending
/// events and those already waiting are shown, then it exits 0.
/// </summary>
internal sealed class EventWatch(EventFeed.EventFeedClient feed, Metadata headers, EirConsole console)
{
    public async Task<int> RunAsync(SubscribeRequest request, bool follow, bool ack, bool json, TimeSpan idle, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = feed.Subscribe(request, headers, cancellationToken: stop.Token);

        // The idle time counts from the feed's response headers (the group exists, delivery begins), so a slow
        // connection set-up is not taken for "caught up".
        await call.ResponseHeadersAsync.WaitAsync(ct);
        var shown = 0;
        while (true)
        {
            if (!follow)
            {
                stop.CancelAfter(idle);
            }

            try
            {
                if (!await call.ResponseStream.MoveNext(stop.Token))
                {
                    break;
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && !ct.IsCancellationRequested)
            {
                break; // idle: caught up
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                break;
            }

            var e = call.ResponseStream.Current;
            if (json)
            {
                Answers.Json(console, e);
            }
            else
            {
                Answers.Event(console, e);
            }

            shown++;
            if (ack)
            {
                var a = new AcknowledgeRequest { ConsumerGroup = request.ConsumerGroup, HomeOperator = request.HomeOperator };
                a.EventIds.Add(e.Id);
                await feed.AcknowledgeAsync(a, headers, cancellationToken: ct);
            }
        }

        if (!json)
        {
            await console.Error.WriteLineAsync($"{shown} event(s){(ack ? ", acknowledged" : " (not acknowledged: shown again to this consumer until --ack)")}");
        }

        return ExitCodes.Ok;
    }
}
