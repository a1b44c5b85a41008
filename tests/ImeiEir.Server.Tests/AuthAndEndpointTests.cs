using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests;

/// <summary>API keys and roles; each route only on its own Kestrel endpoint.</summary>
public sealed class AuthAndEndpointTests : NodeTest
{
    private static readonly CheckRequest Request = new() { Imei = "35693803564380", Msisdn = "996700000001" };

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic Y2hlY2s6a2V5")]
    public async Task Check_MissingOrUnknownKey_Unauthenticated(string? header)
    {
        var metadata = new Metadata();
        if (header is not null)
        {
            metadata.Add("authorization", header);
        }

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Node.Checks.CheckAsync(Request, metadata));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Theory]
    [InlineData(TestNode.SyncKey, "check")]
    [InlineData(TestNode.SelfServiceKey, "check")]
    public async Task Check_KeyWithoutCheckRole_PermissionDenied(string key, string role)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Node.Checks.CheckAsync(Request, TestNode.Auth(key)));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains(role, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_CheckOnlyKey_PermissionDenied()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Node.Sync.GetSyncStateAsync(new GetSyncStateRequest(), TestNode.Auth(TestNode.CheckKey)));
        var ussd = await Assert.ThrowsAsync<RpcException>(async () => await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "35693803564380" }, TestNode.Auth(TestNode.SyncKey)));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, ussd.StatusCode);
    }

    [Fact]
    public async Task AllRolesKey_ReachesEveryService()
    {
        var key = TestNode.Auth(TestNode.AllKey);

        var check = await Node.Checks.CheckAsync(Request, key);
        var state = await Node.Sync.GetSyncStateAsync(new GetSyncStateRequest(), key);
        var status = await Node.SelfService.GetDeviceStatusAsync(new DeviceStatusRequest { Imei = "35693803564380" }, key);

        Assert.Equal(Reason.NotRegistered, check.Reason);
        Assert.Equal(0UL, state.Sequence);
        Assert.False(status.Registered);
    }

    [Fact]
    public async Task HealthAndReflection_AnswerWithoutKey()
    {
        var health = await new Health.HealthClient(Node.Channel).CheckAsync(new HealthCheckRequest());
        using var reflection = new global::Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(Node.Channel).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Contains("imeieir.v1.EquipmentCheck", services);
        Assert.Contains("imeieir.v1.RegistrySync", services);
    }

    [Fact]
    public async Task AdminRoutes_OnlyOnAdminEndpoint_MetricsCarryCheckAndRuntimeCounters()
    {
        await Node.CheckAsync("35693803564380", "996700000001");
        using var http1 = new HttpClient();
        using var http2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var metrics = await http1.GetStringAsync($"http://127.0.0.1:{Node.AdminPort}/metrics");
        var ready = await http1.GetAsync($"http://127.0.0.1:{Node.AdminPort}/readyz");
        var metricsOnGrpc = await http2.GetAsync($"http://127.0.0.1:{Node.GrpcPort}/metrics");
        var readyOnGrpc = await http2.GetAsync($"http://127.0.0.1:{Node.GrpcPort}/readyz");
        var n5gOnAdmin = await http1.GetAsync($"http://127.0.0.1:{Node.AdminPort}/n5g-eir-eic/v1/equipment-status?pei=imei-356938035643809");

        Assert.Contains("imeieir_checks_total", metrics, StringComparison.Ordinal);
        Assert.Contains("reason=\"not_registered\"", metrics, StringComparison.Ordinal);
        Assert.Contains("imeieir_check_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("imeieir_index_sequence", metrics, StringComparison.Ordinal);
        Assert.Contains("imeieir_sync_lag", metrics, StringComparison.Ordinal);
        Assert.Contains("imeieir_redis_connected", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_pause_time", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_thread_pool_queue_length", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metricsOnGrpc.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, readyOnGrpc.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, n5gOnAdmin.StatusCode);
    }
}

/// <summary>Auth switched off, and auth on with no clients.</summary>
public sealed class AuthConfigurationTests : RedisTest
{

    [Fact]
    public async Task AuthDisabled_AnswersWithoutKey()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, new Dictionary<string, string?> { ["Auth:Enabled"] = "false" });

        var r = await node.Checks.CheckAsync(new CheckRequest { Imei = "35693803564380" });

        Assert.Equal(Reason.NotRegistered, r.Reason);
    }

    [Fact]
    public async Task AuthOnWithoutClients_RefusesEverything()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration, withClients: false);

        var check = await Assert.ThrowsAsync<RpcException>(async () => await node.Checks.CheckAsync(new CheckRequest { Imei = "35693803564380" }, TestNode.Auth(TestNode.AllKey)));
        var sync = await Assert.ThrowsAsync<RpcException>(async () => await node.Sync.GetSyncStateAsync(new GetSyncStateRequest(), TestNode.Auth(TestNode.AllKey)));

        Assert.Equal(StatusCode.Unauthenticated, check.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, sync.StatusCode);
    }
}

/// <summary>Routing matches paths case-insensitively: another spelling must not skip the key check.</summary>
public sealed class AuthPathSpellingTests : NodeTest
{
    [Theory]
    [InlineData("/imeieir.v1.EquipmentCheck/Check")]
    [InlineData("/IMEIEIR.V1.EQUIPMENTCHECK/CHECK")]
    [InlineData("/imeieir.v1.equipmentcheck/check")]
    [InlineData("/IMEIEIR.V1.REGISTRYSYNC/GETSYNCSTATE")]
    [InlineData("/imeieir.v1.SELFSERVICE/GetDeviceStatus")]
    public async Task GrpcPath_AnySpellingWithoutKey_Unauthenticated(string path)
    {
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{Node.GrpcPort}{path}")
        {
            // An empty gRPC message frame: no compression flag, length 0.
            Content = new ByteArrayContent(new byte[5]),
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : "none";

        Assert.True(status == "16", $"HTTP {(int)response.StatusCode}, grpc-status {status}, headers {response.Headers}, content-type {response.Content.Headers.ContentType}");
    }
}
