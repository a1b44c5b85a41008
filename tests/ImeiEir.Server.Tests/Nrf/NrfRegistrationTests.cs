using ImeiEir.Server.Nrf;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>
/// The registration against a fake NRF over real TLS (HTTP/2 by ALPN, a run-time PKI), wired as the host wires it:
/// registration, suspension and resumption, heartbeats at the NRF's timer, re-registration after a 404, NRF outages,
/// CA trust, client certificates, deregistration. The node's serving state is driven through
/// <see cref="INodeServingState"/>; <see cref="NrfNodeTests"/> runs the same against a real node on a real Redis.
/// </summary>
public sealed class NrfRegistrationTests : IDisposable
{
    private const string InstancePath = FakeNrf.Prefix + RegistrarHarness.InstanceId;
    private static readonly OpenApiSpec Spec = OpenApiSpec.NfManagement;

    private readonly TestPki _pki = new();
    private readonly IssuedCertificate _nrfCertificate;

    public NrfRegistrationTests() => _nrfCertificate = _pki.IssueLoopbackServer("nrf");

    private Dictionary<string, string?> Settings(FakeNrf nrf)
    {
        var settings = RegistrarHarness.BaseSettings(nrf);
        settings["Nrf:CaPath"] = _pki.CaPath;
        return settings;
    }

    private static void AssertValidRequest(NrfCall call)
    {
        var errors = Spec.ValidateRequest(OpenApiSpec.NfManagementFile, "/nf-instances/{nfInstanceID}", call.Method.ToLowerInvariant(), call.ContentType, call.Body);
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + call.Body);
    }

    [Fact]
    public async Task Register_NodeReady_PutOverTlsHttp2WithAValidProfile()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));

        var put = (await nrf.WaitForAsync(c => c.IsPut))[0];

        Assert.Equal(InstancePath, put.Path);
        Assert.Equal("HTTP/2", put.Protocol);
        Assert.Equal("application/json", put.ContentType);
        AssertValidRequest(put);
        Assert.Equal("5G_EIR", (string?)put.Profile["nfType"]);
        Assert.Equal("REGISTERED", (string?)put.Profile["nfStatus"]);
        Assert.Equal(201, put.Answer);
        await harness.Logs.WaitForAsync(5002);
        Assert.Equal(NrfRegistrationPhase.Registered, harness.Registrar.Phase);
    }

    [Fact]
    public async Task Register_DataNotLoaded_NothingSentUntilLoaded()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        var serving = new FakeServingState { IsLoaded = false };
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf), serving);

        await harness.Logs.WaitForAsync(5001);
        var readsBefore = serving.Reads;
        await Poll.UntilAsync(() => serving.Reads >= readsBefore + 5, "the registrar looks at the serving state again and again");
        Assert.Empty(nrf.Calls);
        Assert.Equal(0, nrf.Connections);
        Assert.Equal(NrfRegistrationPhase.WaitingForData, harness.Registrar.Phase);

        serving.IsLoaded = true;
        var put = (await nrf.WaitForAsync(c => c.IsPut))[0];
        Assert.Equal("REGISTERED", (string?)put.Profile["nfStatus"]);
        Assert.Single(nrf.Calls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateStatus_NodeCannotServeThenCanAgain_PatchSuspendedThenRegistered(bool syncRefused)
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));
        await nrf.WaitForAsync(c => c.IsPut);

        if (syncRefused)
        {
            harness.Serving.SyncRefusedReason = "Redis has no history (emptied or replaced?) while this node is at sequence 7";
        }
        else
        {
            harness.Serving.IsLoaded = false;
        }

        var suspend = (await nrf.WaitForAsync(c => c.PatchedStatus == "SUSPENDED"))[0];
        Assert.Equal(InstancePath, suspend.Path);
        Assert.Equal("application/json-patch+json", suspend.ContentType);
        AssertValidRequest(suspend);
        Assert.Equal("SUSPENDED", (string?)nrf.Profiles[RegistrarHarness.InstanceId]["nfStatus"]);
        var log = await harness.Logs.WaitForAsync(5003);
        Assert.Equal(LogLevel.Information, log.Level);
        Assert.Contains(syncRefused ? "sync refused: Redis has no history" : "not loaded", log.Message, StringComparison.Ordinal);

        harness.Serving.SyncRefusedReason = null;
        harness.Serving.IsLoaded = true;
        var resume = (await nrf.WaitForAsync(c => c.PatchedStatus == "REGISTERED"))[0];
        AssertValidRequest(resume);
        Assert.Equal("REGISTERED", (string?)nrf.Profiles[RegistrarHarness.InstanceId]["nfStatus"]);
        await harness.Logs.WaitForAsync(5004);
        Assert.Equal(["PUT", "PATCH", "PATCH"], nrf.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task Heartbeat_NrfImposesOneSecond_PatchesFollowTheNrfNotTheProposal()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        nrf.HeartBeatTimer = 1;
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));

        // Proposed 60 s: three heartbeats within the timeout can only come from the NRF's 1 s.
        var heartbeats = await nrf.WaitForAsync(c => c.IsPatch, count: 3);

        Assert.Equal(60, (int?)nrf.Calls[0].Profile["heartBeatTimer"]);
        Assert.All(heartbeats, h =>
        {
            Assert.Equal("REGISTERED", h.PatchedStatus);
            Assert.Equal("application/json-patch+json", h.ContentType);
            Assert.Equal(204, h.Answer);
        });
        Assert.Equal(1, harness.Registrar.HeartBeatTimer);
        Assert.Single(nrf.Calls, c => c.IsPut);
    }

    [Fact]
    public async Task Heartbeat_NrfForgotTheInstance_404ThenPutAgain()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        nrf.HeartBeatTimer = 1;
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));
        await nrf.WaitForAsync(c => c.IsPut);

        nrf.Forget();

        await nrf.WaitForAsync(c => c.IsPatch && c.Answer == 404);
        var puts = await nrf.WaitForAsync(c => c.IsPut, count: 2);
        Assert.Equal(InstancePath, puts[1].Path);
        Assert.True(nrf.Profiles.ContainsKey(RegistrarHarness.InstanceId));
        Assert.Equal(LogLevel.Warning, (await harness.Logs.WaitForAsync(5005)).Level);
        await nrf.WaitForAsync(c => c.IsPatch && c.Answer == 204 && c.Seq > puts[1].Seq);
    }

    [Fact]
    public async Task Register_NrfDownAtStart_RetriedWithBackoffThenRegistered()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate, start: false);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));

        var warning = await harness.Logs.WaitForAsync(5006);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("registration", warning.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => harness.Logs.Lines.Count(l => l.EventId == 5007) >= 2, "retries, each at Debug");
        Assert.Single(harness.Logs.Lines, l => l.Level == LogLevel.Warning);

        await nrf.StartAsync();
        await nrf.WaitForAsync(c => c.IsPut);
        await harness.Logs.WaitForAsync(5008);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_NrfDownInTheMiddle_HeartbeatsResumeOrPutWhenItForgot(bool nrfLostItsData)
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        nrf.HeartBeatTimer = 1;
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));
        await nrf.WaitForAsync(c => c.IsPatch);

        await nrf.StopAsync();
        Assert.Contains("heartbeat", (await harness.Logs.WaitForAsync(5006)).Message, StringComparison.Ordinal);
        if (nrfLostItsData)
        {
            nrf.Forget();
        }

        var before = nrf.Calls.Count;
        await nrf.StartAsync();

        await nrf.WaitForAsync(c => c.Seq > before && c.IsPatch && c.Answer == 204);
        Assert.Equal(nrfLostItsData ? 2 : 1, nrf.Calls.Count(c => c.IsPut));
        Assert.Equal(NrfRegistrationPhase.Registered, harness.Registrar.Phase);
    }

    [Fact]
    public async Task Tls_NrfCertificateFromAnotherCa_RefusedLoggedRetriedUntilTrusted()
    {
        using var otherPki = new TestPki("Some Other CA");
        using var untrusted = otherPki.IssueLoopbackServer("nrf-other");
        await using var impostor = await FakeNrf.StartHttpsAsync(untrusted.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(Settings(impostor));

        var warning = await harness.Logs.WaitForAsync(5006);
        Assert.Contains("certificate", warning.Message, StringComparison.OrdinalIgnoreCase);
        await Poll.UntilAsync(() => impostor.Connections >= 3, "handshakes tried again");
        Assert.Empty(impostor.Calls);

        // The real NRF (a certificate from Nrf:CaPath's CA) takes over the address: registered.
        await impostor.StopAsync();
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate, port: impostor.Port);
        await nrf.WaitForAsync(c => c.IsPut);
    }

    [Fact]
    public async Task Tls_NoCaPath_SystemTrustRefusesAPrivateCa()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(RegistrarHarness.BaseSettings(nrf));

        Assert.Contains("certificate", (await harness.Logs.WaitForAsync(5006)).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(nrf.Calls);
    }

    [Fact]
    public async Task ClientCertificate_Configured_PresentedAndSeenByTheNrf()
    {
        using var client = _pki.Issue("eir-client", "eir-node-1.5gc.mnc001.mcc437.3gppnetwork.org", CertificateUsage.Client);
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate, clientCa: _pki.Ca);
        var settings = Settings(nrf);
        settings["Nrf:ClientCertificate:Path"] = client.CertificatePath;
        settings["Nrf:ClientCertificate:KeyPath"] = client.KeyPath;
        await using var harness = await RegistrarHarness.StartAsync(settings);

        var put = (await nrf.WaitForAsync(c => c.IsPut))[0];

        Assert.Equal("CN=eir-node-1.5gc.mnc001.mcc437.3gppnetwork.org", put.ClientSubject);
        Assert.Equal("HTTP/2", put.Protocol);
    }

    [Fact]
    public async Task ClientCertificate_NotConfigured_NrfThatRequiresOneRefuses()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate, clientCa: _pki.Ca);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));

        await harness.Logs.WaitForAsync(5006);
        await Poll.UntilAsync(() => nrf.Connections >= 2, "handshakes tried again");
        Assert.Empty(nrf.Calls);
    }

    [Fact]
    public async Task Deregister_GracefulStop_DeleteSent()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));
        await nrf.WaitForAsync(c => c.IsPut);

        await harness.StopAsync();

        var delete = Assert.Single(nrf.Calls, c => c.IsDelete);
        Assert.Equal(InstancePath, delete.Path);
        Assert.Equal(204, delete.Answer);
        Assert.Empty(nrf.Profiles);
        Assert.Equal(LogLevel.Information, (await harness.Logs.WaitForAsync(5009)).Level);
        Assert.Equal(NrfRegistrationPhase.Stopped, harness.Registrar.Phase);
    }

    [Fact]
    public async Task Deregister_NrfDownAtStop_StopEndsAndSaysSo()
    {
        await using var nrf = await FakeNrf.StartHttpsAsync(_nrfCertificate.Certificate);
        await using var harness = await RegistrarHarness.StartAsync(Settings(nrf));
        await nrf.WaitForAsync(c => c.IsPut);
        await nrf.StopAsync();

        await harness.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(LogLevel.Warning, (await harness.Logs.WaitForAsync(5010)).Level);
    }

    [Fact]
    public async Task Register_HttpNrf_Http2WithPriorKnowledge()
    {
        await using var nrf = await FakeNrf.StartH2cAsync();
        await using var harness = await RegistrarHarness.StartAsync(RegistrarHarness.BaseSettings(nrf));

        var put = (await nrf.WaitForAsync(c => c.IsPut))[0];

        Assert.Equal("HTTP/2", put.Protocol);
        Assert.Equal(InstancePath, put.Path);
    }

    public void Dispose()
    {
        _nrfCertificate.Dispose();
        _pki.Dispose();
    }
}
