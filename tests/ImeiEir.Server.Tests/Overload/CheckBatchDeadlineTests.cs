using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Grpc;
using Microsoft.Extensions.DependencyInjection;
using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// CheckBatch stops working once its deadline has passed (the caller already has DEADLINE_EXCEEDED from
/// Grpc.AspNetCore): the service called directly, with a call context whose deadline is chosen by the test.
/// </summary>
public sealed class CheckBatchDeadlineTests : IClassFixture<OverloadNode>
{
    private readonly OverloadNode _eir;

    public CheckBatchDeadlineTests(OverloadNode eir) => _eir = eir;

    [Fact]
    public async Task CheckBatch_DeadlineAlreadyPassed_DeadlineExceededAfterNoItem()
    {
        var service = ActivatorUtilities.CreateInstance<EquipmentCheckService>(_eir.Node.Services);
        var before = _eir.ShedCount("grpc", "deadline");

        var ex = await Assert.ThrowsAsync<RpcException>(() => service.CheckBatch(Batch(3), new TestCallContext(DateTime.UtcNow.AddSeconds(-1))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal("deadline passed after 0 of 3 items", ex.Status.Detail);
        Assert.Equal(before + 1, _eir.ShedCount("grpc", "deadline"));
    }

    [Fact]
    public async Task CheckBatch_DeadlineAhead_EveryItemAnswered()
    {
        var service = ActivatorUtilities.CreateInstance<EquipmentCheckService>(_eir.Node.Services);

        var response = await service.CheckBatch(Batch(600), new TestCallContext(DateTime.UtcNow.AddMinutes(5)));

        Assert.Equal(600, response.Responses.Count);
        Assert.All(response.Responses, r => Assert.Equal(Verdict.Allow, r.Verdict));
    }

    private static CheckBatchRequest Batch(int n)
    {
        var batch = new CheckBatchRequest();
        for (var i = 0; i < n; i++)
        {
            batch.Requests.Add(new CheckRequest { Imei = Imei15(Registered14), CorrelationId = (ulong)i });
        }

        return batch;
    }

    /// <summary>A call context with only a deadline (what the service reads).</summary>
    private sealed class TestCallContext(DateTime deadline) : ServerCallContext
    {
        protected override string MethodCore => "/imeieir.v1.EquipmentCheck/CheckBatch";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => deadline;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
