using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// Overload:SyncStreamsPerClient (2 here): a third RegistrySync call of the same client is refused with
/// RESOURCE_EXHAUSTED naming the setting, another client is not affected, and a finished call frees its place.
/// </summary>
public sealed class SyncCallLimitTests : IClassFixture<OverloadNode>
{
    private readonly OverloadNode _eir;

    public SyncCallLimitTests(OverloadNode eir) => _eir = eir;

    private TestNode Node => _eir.Node;

    [Fact]
    public async Task Apply_ThirdCallOfOneClient_ResourceExhaustedOtherClientsServed()
    {
        using var first = await OpenAsync(TestNode.SyncKey, "a");
        using var second = await OpenAsync(TestNode.SyncKey, "b");

        var third = await Assert.ThrowsAsync<RpcException>(async () => await OpenAsync(TestNode.SyncKey, "c"));
        var state = await Assert.ThrowsAsync<RpcException>(async () => await Node.SyncStateAsync());
        var otherClient = await Node.Sync.GetSyncStateAsync(new GetSyncStateRequest(), TestNode.Auth(TestNode.AllKey));

        Assert.Equal(StatusCode.ResourceExhausted, third.StatusCode);
        Assert.Equal("client 'registry' has 2 RegistrySync calls open already (Overload:SyncStreamsPerClient); finish one first", third.Status.Detail);
        Assert.Equal(StatusCode.ResourceExhausted, state.StatusCode);
        Assert.True(otherClient.Sequence >= 1);
        Assert.True(_eir.ShedCount("sync", "client_limit") >= 2);

        // A finished call frees its place: the end of the call reaches the client after the limit is released.
        await first.RequestStream.CompleteAsync();
        Assert.False(await first.ResponseStream.MoveNext(CancellationToken.None));
        using var again = await OpenAsync(TestNode.SyncKey, "d");
        await second.RequestStream.CompleteAsync();
        await again.RequestStream.CompleteAsync();
        Assert.False(await second.ResponseStream.MoveNext(CancellationToken.None));
        Assert.False(await again.ResponseStream.MoveNext(CancellationToken.None));
    }

    /// <summary>An Apply stream the node has certainly counted: one batch sent and acked on it.</summary>
    private async Task<AsyncDuplexStreamingCall<DeltaBatch, BatchAck>> OpenAsync(string key, string name)
    {
        var call = Node.Sync.Apply(TestNode.Auth(key));
        try
        {
            var batch = new DeltaBatch { BatchId = "limit-" + name };
            batch.Deltas.Add(D.Subscriber("43701000000" + (1000 + name[0]).ToString(System.Globalization.CultureInfo.InvariantCulture), "996700" + (100000 + name[0]).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await call.RequestStream.WriteAsync(batch);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.True(call.ResponseStream.Current.Accepted, call.ResponseStream.Current.Error);
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }
}
