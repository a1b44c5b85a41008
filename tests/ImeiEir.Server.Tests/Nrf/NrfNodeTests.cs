using Grpc.Core;
using Grpc.Net.Client;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Index;
using ImeiEir.Server.Nrf;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Storage;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>
/// A real node (the production host) on a real Redis, registered with a fake NRF over TLS: it registers only once its
/// data is loaded, suspends while Redis' history is not its own, keeps answering checks and stays ready while the
/// NRF is down, deregisters on a graceful stop, and registers again under the same NfInstanceId after a restart.
/// </summary>
public sealed class NrfNodeTests : IAsyncLifetime
{
    private const string InstanceId = "0b6b1d0e-5a8f-4c3e-9d1a-2f7e6c5b4a39";
    private const string InstancePath = FakeNrf.Prefix + InstanceId;

    private readonly TestPki _pki = new();
    private readonly RedisServer _redis = new();
    private IssuedCertificate _nrfCertificate = null!;

    public async Task InitializeAsync()
    {
        _nrfCertificate = _pki.IssueLoopbackServer("nrf");
        await _redis.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        _nrfCertificate.Dispose();
        _pki.Dispose();
    }

    private Dictionary<string, string?> Settings(FakeNrf nrf) => new()
    {
        ["Nrf:Uri"] = nrf.Uri,
        ["Nrf:NfInstanceId"] = InstanceId,
        ["Nrf:AdvertisedUri"] = "https://eir1.5gc.mnc001.mcc437.3gppnetwork.org:8443",
        ["Nrf:PlmnList:0:Mcc"] = "437",
        ["Nrf:PlmnList:0:Mnc"] = "01",
        ["Nrf:CaPath"] = _pki.CaPath,
        ["Nrf:RetryMinDelay"] = "00:00:00.200",
        ["Nrf:RetryMaxDelay"] = "00:00:01",
        ["Nrf:ReadinessPollInterval"] = "00:00:00.100",
    };

    private static async Task<BatchAck> SeedAsync(TestNode node, string batchId)
    {
        var ack = await node.ApplyOneAsync(batchId, D.Register("dev-" + batchId, Ids.Imei15(Ids.Registered14)));
        Assert.True(ack.Accepted, ack.Error);
        return ack;
    }

    private static async Task AssertServingAsync(TestNode node)
    {
        Assert.Equal(Verdict.Allow, (await node.CheckAsync(Ids.Imei15(Ids.Registered14))).Verdict);
        using var http = new HttpClient();
        Assert.True((await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/readyz")).IsSuccessStatusCode, "/readyz does not depend on the NRF");
    }

    [Fact]
    public async Task Register_RedisHoldsDataButIsDownAtStart_PutOnlyOnceTheDataIsLoaded()
    {
        long seeded;
        await using (var first = await TestNode.StartAsync(_redis.Configuration))
        {
            seeded = (long)(await SeedAsync(first, "seed")).Sequence;
        }

        await _redis.StopAsync();
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        TestNode? node = null;
        (bool Loaded, long Sequence)? atPut = null;
        nrf.OnCall = c =>
        {
            if (c.IsPut && atPut is null)
            {
                var index = node!.Services.GetRequiredService<EirIndex>();
                atPut = (index.IsLoaded, index.Current.Sequence);
            }
        };
        node = await TestNode.StartAsync(_redis.Configuration, Settings(nrf), waitReady: false);
        await using (node)
        {
            // Redis is down: the node cannot load, /readyz says so, and the NRF hears nothing.
            using var http = new HttpClient();
            for (var unready = 0; unready < 5;)
            {
                var r = await http.GetAsync($"http://127.0.0.1:{node.AdminPort}/readyz");
                Assert.False(r.IsSuccessStatusCode);
                unready++;
                await Task.Delay(100);
            }

            Assert.Empty(nrf.Calls);
            Assert.Equal(NrfRegistrationPhase.WaitingForData, node.Services.GetRequiredService<NrfRegistrar>().Phase);

            await _redis.StartAsync();
            var put = (await nrf.WaitForAsync(c => c.IsPut))[0];

            Assert.Equal((true, seeded), atPut);
            Assert.Equal(InstancePath, put.Path);
            Assert.Equal("REGISTERED", (string?)put.Profile["nfStatus"]);
            Assert.Empty(OpenApiSpec.NfManagement.ValidateRequest(OpenApiSpec.NfManagementFile, "/nf-instances/{nfInstanceID}", "put", put.ContentType, put.Body));
        }
    }

    [Fact]
    public async Task Stop_GracefulThenRestart_DeleteWhileStillServingThenPutAgainWithTheSameInstanceId()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        string? checkAtDelete = null;
        GrpcChannel? channel = null;
        await using (var node = await TestNode.StartAsync(_redis.Configuration, Settings(nrf)))
        {
            await SeedAsync(node, "seed");
            await nrf.WaitForAsync(c => c.IsPut);

            // Cores learn the node is gone before it stops answering: at the DELETE, checks are still served (on a
            // channel of our own: the node's is disposed first when it stops).
            channel = GrpcChannel.ForAddress($"http://127.0.0.1:{node.GrpcPort}");
            var checks = new EquipmentCheck.EquipmentCheckClient(channel);
            nrf.OnCall = c =>
            {
                if (c.IsDelete)
                {
                    try
                    {
                        var request = new CheckRequest { Imei = Ids.Imei15(Ids.Registered14) };
                        checkAtDelete = checks.Check(request, TestNode.Auth(TestNode.CheckKey), deadline: DateTime.UtcNow.AddSeconds(5)).Verdict.ToString();
                    }
                    catch (RpcException ex)
                    {
                        checkAtDelete = ex.StatusCode.ToString();
                    }

                }
            };
        }

        var delete = Assert.Single(nrf.Calls, c => c.IsDelete);
        Assert.Equal(InstancePath, delete.Path);
        Assert.Empty(nrf.Profiles);
        Assert.Equal("Allow", checkAtDelete);
        nrf.OnCall = null;
        channel?.Dispose();

        await using (var restarted = await TestNode.StartAsync(_redis.Configuration, Settings(nrf)))
        {
            var puts = await nrf.WaitForAsync(c => c.IsPut, count: 2);
            Assert.True(puts[1].Seq > delete.Seq);
            Assert.Equal(InstancePath, puts[1].Path);
            Assert.Equal(201, puts[1].Answer);
            Assert.True(nrf.Profiles.ContainsKey(InstanceId));
        }

        Assert.Equal(2, nrf.Calls.Count(c => c.IsDelete));
    }

    [Fact]
    public async Task NrfDown_AtStartAndInTheMiddle_ChecksAnswerReadyzStaysUpRegistrationCatchesUp()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate, start: false);
        nrf.HeartBeatTimer = 1;
        await using var node = await TestNode.StartAsync(_redis.Configuration, Settings(nrf));
        await SeedAsync(node, "seed");
        var registrar = node.Services.GetRequiredService<NrfRegistrar>();

        // Down at start: the node is ready and answers; the registration keeps trying.
        for (var i = 0; i < 20; i++)
        {
            await AssertServingAsync(node);
        }

        // The registrar sees the node ready at its next readiness poll, then keeps trying the NRF.
        await Eventually.TrueAsync(() => registrar.Phase == NrfRegistrationPhase.Registering, "registrar trying to register while the NRF is down");
        await nrf.StartAsync();
        await nrf.WaitForAsync(c => c.IsPut);
        await nrf.WaitForAsync(c => c.IsPatch);

        // Down in the middle: the same, and heartbeats resume when it is back.
        await nrf.StopAsync();
        for (var i = 0; i < 20; i++)
        {
            await AssertServingAsync(node);
        }

        var before = nrf.Calls.Count;
        await nrf.StartAsync();
        await nrf.WaitForAsync(c => c.Seq > before && c.IsPatch && c.Answer == 204);
        await Eventually.TrueAsync(() => registrar.Phase == NrfRegistrationPhase.Registered, "registered again");
        await AssertServingAsync(node);
    }

    [Fact]
    public async Task UpdateStatus_RedisEmptiedThenRestored_SuspendedThenRegisteredAgain()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var node = await TestNode.StartAsync(_redis.Configuration, Settings(nrf));
        await SeedAsync(node, "seed");
        await nrf.WaitForAsync(c => c.IsPut);

        // Redis comes back empty (its data lost): the node refuses to sync and suspends its registration.
        var backup = Path.Combine(Path.GetTempPath(), "imeieir-nrf-redis-" + Guid.NewGuid().ToString("N"));
        await _redis.StopAsync();
        CopyDirectory(_redis.Directory, backup);
        try
        {
            await _redis.WipeAsync();
            await _redis.StartAsync();
            await nrf.WaitForAsync(c => c.PatchedStatus == "SUSPENDED");
            Assert.NotNull(node.Services.GetRequiredService<SyncRefusal>().Reason);
            Assert.Equal("SUSPENDED", (string?)nrf.Profiles[InstanceId]["nfStatus"]);

            // The backup is restored: the history is the node's again, and so is the registration.
            await _redis.StopAsync();
            CopyDirectory(backup, _redis.Directory);
            await _redis.StartAsync();
            await nrf.WaitForAsync(c => c.PatchedStatus == "REGISTERED");
            Assert.Null(node.Services.GetRequiredService<SyncRefusal>().Reason);
            Assert.Equal("REGISTERED", (string?)nrf.Profiles[InstanceId]["nfStatus"]);
        }
        finally
        {
            Directory.Delete(backup, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
