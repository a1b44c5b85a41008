using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Overload;
using ImeiEir.Server.Overload;
using ImeiEir.Server.Tests.N5gEir;
using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests.Overload;

/// <summary>
/// Checks refused for load on a real node: beyond Overload:MaxConcurrentChecks (the one slot held by the test), while
/// the queue stands (the monitor frozen at a delay past the burst tolerance), and calls whose deadline passed in the
/// queue. Every refusal is the interface's own: RESOURCE_EXHAUSTED, 429 with a TS 29.571 ProblemDetails, and counted.
/// </summary>
public sealed class CheckAdmissionTests : IClassFixture<OverloadNode>
{
    private readonly OverloadNode _eir;

    public CheckAdmissionTests(OverloadNode eir) => _eir = eir;

    private TestNode Node => _eir.Node;

    [Fact]
    public async Task Check_InFlightLimitReached_ResourceExhaustedThenServedOnceFree()
    {
        var before = _eir.ShedCount("grpc", "concurrency");
        Assert.Equal(Admission.Admitted, _eir.Gate.TryEnter(CheckInterface.Grpc)); // the one slot
        RpcException refused;
        try
        {
            refused = await Assert.ThrowsAsync<RpcException>(() => Node.CheckAsync(Imei15(Registered14)));
        }
        finally
        {
            _eir.Gate.Exit();
        }

        var served = await Node.CheckAsync(Imei15(Registered14));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("Overload:MaxConcurrentChecks", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(Verdict.Allow, served.Verdict);
        Assert.Equal(before + 1, _eir.ShedCount("grpc", "concurrency"));
        Assert.Equal(0, _eir.Gate.InFlight);
    }

    [Theory]
    [InlineData(H2Client.DotNet)]
    [InlineData(H2Client.Curl)]
    public async Task GetEquipmentStatus_InFlightLimitReached_429ProblemDetailsPerOpenApi(H2Client client)
    {
        Assert.Equal(Admission.Admitted, _eir.Gate.TryEnter(CheckInterface.N5gEir));
        N5gResponse r;
        try
        {
            r = await N5gEirCaller.GetAsync(client, Node.GrpcPort, $"pei=imei-{Imei15(Registered14)}");
        }
        finally
        {
            _eir.Gate.Exit();
        }

        EquipmentStatusTests.AssertValid(r);
        Assert.Equal((429, "application/problem+json", "1"), (r.Status, r.ContentType, r.RetryAfter));
        Assert.Equal("NF_CONGESTION_RISK", r.Cause);
        Assert.Equal(429, r.Json.GetProperty("status").GetInt32());
        Assert.True(_eir.ShedCount("n5g-eir", "concurrency") >= 1);
    }

    [Fact]
    public async Task Checks_QueueStanding_RefusedOnEveryCheckApiAndServedAfterwards()
    {
        _eir.Monitor.Freeze(TimeSpan.FromMinutes(2)); // past Overload:BurstTolerance (1 min): standing at once
        RpcException unary, batch, stream;
        N5gResponse n5g;
        try
        {
            unary = await Assert.ThrowsAsync<RpcException>(() => Node.CheckAsync(Imei15(Registered14)));
            batch = await Assert.ThrowsAsync<RpcException>(async () =>
                await Node.Checks.CheckBatchAsync(new CheckBatchRequest { Requests = { new CheckRequest { Imei = Imei15(Registered14) } } }, TestNode.Auth(TestNode.CheckKey)));
            using var call = Node.Checks.CheckStream(TestNode.Auth(TestNode.CheckKey));
            stream = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            n5g = await N5gEirCaller.GetAsync(H2Client.DotNet, Node.GrpcPort, $"pei=imei-{Imei15(Registered14)}");
        }
        finally
        {
            _eir.Monitor.Thaw();
        }

        Assert.Equal(StatusCode.ResourceExhausted, unary.StatusCode);
        Assert.Contains("Overload:MaxQueueDelay", unary.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, batch.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, stream.StatusCode);
        EquipmentStatusTests.AssertValid(n5g);
        Assert.Equal((429, "NF_CONGESTION_RISK"), (n5g.Status, n5g.Cause));
        Assert.True(_eir.ShedCount("grpc", "queue_delay") >= 3);
        Assert.Equal(Verdict.Allow, (await Node.CheckAsync(Imei15(Registered14))).Verdict);
    }

    [Fact]
    public async Task CheckStream_QueueStandsMidStream_EndsWithResourceExhaustedAfterTheAnswersGiven()
    {
        using var call = Node.Checks.CheckStream(TestNode.Auth(TestNode.CheckKey));
        await call.RequestStream.WriteAsync(new CheckRequest { Imei = Imei15(Registered14), CorrelationId = 1 });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var first = call.ResponseStream.Current;

        _eir.Monitor.Freeze(TimeSpan.FromMinutes(2));
        RpcException ended;
        try
        {
            await call.RequestStream.WriteAsync(new CheckRequest { Imei = Imei15(Registered14), CorrelationId = 2 });
            ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        }
        finally
        {
            _eir.Monitor.Thaw();
        }

        Assert.Equal((1UL, Verdict.Allow), (first.CorrelationId, first.Verdict));
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains("after the last answer were not checked", ended.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DeadlinePassedWhileQueued_DeadlineExceededByTheNodeNotChecked()
    {
        // 30 s of queue: above Overload:MaxQueueDelay (10 s) but within the burst tolerance (1 min), so nothing is
        // shed for load; a call that allows 20 s has waited out its deadline, one that allows 50 s has not.
        _eir.Monitor.Freeze(TimeSpan.FromSeconds(30));
        var before = _eir.ShedCount("grpc", "deadline");
        RpcException expired;
        CheckResponse inTime;
        try
        {
            var request = new CheckRequest { Imei = Imei15(Registered14) };
            expired = await Assert.ThrowsAsync<RpcException>(async () =>
                await Node.Checks.CheckAsync(request, TestNode.Auth(TestNode.CheckKey), DateTime.UtcNow.AddSeconds(20)));
            inTime = await Node.Checks.CheckAsync(request, TestNode.Auth(TestNode.CheckKey), DateTime.UtcNow.AddSeconds(50));
        }
        finally
        {
            _eir.Monitor.Thaw();
        }

        // The node's own refusal (the client's deadline, 20 s away, cannot have fired): its message, and counted.
        Assert.Equal(StatusCode.DeadlineExceeded, expired.StatusCode);
        Assert.Contains("waited in the node's queue", expired.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before + 1, _eir.ShedCount("grpc", "deadline"));
        Assert.Equal(Verdict.Allow, inTime.Verdict);
    }

    [Fact]
    public async Task OtherServices_QueueStanding_NotGated()
    {
        _eir.Monitor.Freeze(TimeSpan.FromMinutes(2));
        try
        {
            var state = await Node.SyncStateAsync();
            var device = await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = Imei15(Registered14) }, TestNode.Auth(TestNode.SelfServiceKey));

            Assert.True(state.Sequence >= 1);
            Assert.True(device.Registered);
        }
        finally
        {
            _eir.Monitor.Thaw();
        }
    }
}
