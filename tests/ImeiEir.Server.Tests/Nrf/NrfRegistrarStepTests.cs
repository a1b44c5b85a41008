using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ImeiEir.Server.Nrf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>
/// The registrar's state machine one step at a time on a <see cref="FakeTimeProvider"/>: what each step sends, and how
/// long it says to wait (the heartbeat timer the NRF gave, the backoff). The NRF is an in-memory HTTP handler here;
/// the real one over TLS is in <see cref="NrfRegistrationTests"/>.
/// </summary>
public sealed class NrfRegistrarStepTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeServingState _serving = new();
    private readonly StubNrf _nrf = new();
    private readonly LogCapture _logs = new("ImeiEir.Server.Nrf");
    private readonly ServiceProvider _services;

    public NrfRegistrarStepTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Nrf:Uri"] = "https://nrf.example.org",
            ["Nrf:NfInstanceId"] = RegistrarHarness.InstanceId,
            ["Nrf:AdvertisedUri"] = "https://10.0.0.5:8443",
            ["Nrf:HeartBeatTimer"] = "10",
            ["Nrf:RetryMinDelay"] = "00:00:01",
            ["Nrf:RetryMaxDelay"] = "00:00:08",
            // Long, so the waits a step returns are the heartbeat's or the backoff's.
            ["Nrf:ReadinessPollInterval"] = "01:00:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(_logs));
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<INodeServingState>(_serving);
        services.AddNrfRegistration(configuration);
        services.AddHttpClient(NrfClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => _nrf);
        _services = services.BuildServiceProvider();
    }

    private NrfRegistrar Registrar => _services.GetRequiredService<NrfRegistrar>();

    private Task<TimeSpan> StepAsync() => Registrar.StepAsync(CancellationToken.None);

    [Fact]
    public async Task StepAsync_NrfImposesItsTimer_HeartbeatExactlyThatLongAfter()
    {
        _nrf.Answer = r => r.Method == HttpMethod.Put ? StubNrf.Json(201, """{"heartBeatTimer":7}""") : new HttpResponseMessage(HttpStatusCode.NoContent);

        Assert.Equal(TimeSpan.FromSeconds(7), await StepAsync());
        Assert.Equal("PUT", _nrf.Requests.Single().Method);
        Assert.Equal(NrfRegistrationPhase.Registered, Registrar.Phase);
        Assert.Equal(7, Registrar.HeartBeatTimer);

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(4), await StepAsync());
        Assert.Single(_nrf.Requests);

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(7), await StepAsync());
        var heartbeat = _nrf.Requests[1];
        Assert.Equal("PATCH", heartbeat.Method);
        Assert.Equal("application/json-patch+json", heartbeat.ContentType);
        Assert.Equal("""[{"op":"replace","path":"/nfStatus","value":"REGISTERED"}]""", heartbeat.Body);
        Assert.EndsWith("/nnrf-nfm/v1/nf-instances/" + RegistrarHarness.InstanceId, heartbeat.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StepAsync_NrfAnswersWithoutTimer_ProposedTimerUsed()
    {
        _nrf.Answer = _ => new HttpResponseMessage(HttpStatusCode.Created);

        Assert.Equal(TimeSpan.FromSeconds(10), await StepAsync());
        Assert.Equal(10, (int?)JsonNode.Parse(_nrf.Requests[0].Body)!["heartBeatTimer"]);
    }

    [Fact]
    public async Task StepAsync_PatchAnswers200WithAnotherTimer_NextHeartbeatFollowsIt()
    {
        _nrf.Answer = r => r.Method == HttpMethod.Put ? StubNrf.Json(201, """{"heartBeatTimer":5}""") : StubNrf.Json(200, """{"heartBeatTimer":2}""");
        await StepAsync();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(2), await StepAsync());
        Assert.Equal(2, Registrar.HeartBeatTimer);
        Assert.Contains(_logs.Lines, l => l.EventId == 5011);
    }

    [Fact]
    public async Task StepAsync_HeartbeatGets404_RegistersAgainAtOnce()
    {
        _nrf.Answer = r => r.Method == HttpMethod.Put ? StubNrf.Json(201, """{"heartBeatTimer":5}""") : StubNrf.Json(404, """{"status":404,"cause":"RESOURCE_URI_STRUCTURE_NOT_FOUND"}""", "application/problem+json");
        await StepAsync();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.Zero, await StepAsync());
        Assert.Equal(NrfRegistrationPhase.Registering, Registrar.Phase);
        await StepAsync();

        Assert.Equal(["PUT", "PATCH", "PUT"], _nrf.Requests.Select(r => r.Method));
        Assert.Equal(NrfRegistrationPhase.Registered, Registrar.Phase);
        Assert.Contains(_logs.Lines, l => l is { EventId: 5005, Level: LogLevel.Warning });
    }

    [Fact]
    public async Task StepAsync_ServingStateChanges_StatusPatchedAtOnceNotAtTheNextHeartbeat()
    {
        _nrf.Answer = r => r.Method == HttpMethod.Put ? StubNrf.Json(201, """{"heartBeatTimer":30}""") : new HttpResponseMessage(HttpStatusCode.NoContent);
        await StepAsync();

        _serving.SyncRefusedReason = "Redis has no history";
        await StepAsync();
        Assert.Equal("""[{"op":"replace","path":"/nfStatus","value":"SUSPENDED"}]""", _nrf.Requests[^1].Body);
        Assert.Equal(NrfRegistrationPhase.Suspended, Registrar.Phase);
        Assert.Contains(_logs.Lines, l => l.EventId == 5003 && l.Message.Contains("Redis has no history", StringComparison.Ordinal));

        // Suspended: the heartbeats carry SUSPENDED (a heartbeat must not bring the instance back).
        _time.Advance(TimeSpan.FromSeconds(30));
        await StepAsync();
        Assert.Equal("""[{"op":"replace","path":"/nfStatus","value":"SUSPENDED"}]""", _nrf.Requests[^1].Body);

        _serving.SyncRefusedReason = null;
        await StepAsync();
        Assert.Equal("""[{"op":"replace","path":"/nfStatus","value":"REGISTERED"}]""", _nrf.Requests[^1].Body);
        Assert.Equal(NrfRegistrationPhase.Registered, Registrar.Phase);
        Assert.Equal(4, _nrf.Requests.Count);
    }

    [Fact]
    public async Task StepAsync_SyncRefusedAtRegistration_PutCarriesSuspended()
    {
        _serving.SyncRefusedReason = "Redis is behind this node";
        _nrf.Answer = _ => new HttpResponseMessage(HttpStatusCode.Created);

        await StepAsync();

        Assert.Equal("SUSPENDED", (string?)JsonNode.Parse(_nrf.Requests[0].Body)!["nfStatus"]);
        Assert.Equal(NrfRegistrationPhase.Suspended, Registrar.Phase);
    }

    [Fact]
    public async Task StepAsync_NrfDown_BackoffDoublesToTheCapOneWarningThenRecovers()
    {
        _nrf.Answer = _ => throw new HttpRequestException("Connection refused (nrf.example.org:443)");

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            waits.Add(await StepAsync());
        }

        // Ceilings 1, 2, 4, 8, 8, 8 s; each wait between half and all of its ceiling.
        double[] ceilings = [1, 2, 4, 8, 8, 8];
        for (var i = 0; i < waits.Count; i++)
        {
            Assert.InRange(waits[i].TotalSeconds, ceilings[i] / 2, ceilings[i]);
        }

        Assert.Equal(6, _nrf.Requests.Count(r => r.Method == "PUT"));
        Assert.Single(_logs.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("Connection refused", _logs.Lines.Single(l => l.EventId == 5006).Message, StringComparison.Ordinal);
        Assert.Equal(5, _logs.Lines.Count(l => l.EventId == 5007));

        _nrf.Answer = _ => new HttpResponseMessage(HttpStatusCode.Created);
        await StepAsync();
        Assert.Contains(_logs.Lines, l => l.EventId == 5008 && l.Message.Contains("6 failed", StringComparison.Ordinal));
        Assert.Equal(NrfRegistrationPhase.Registered, Registrar.Phase);

        // The next failure starts from the minimum again, with a new warning.
        _nrf.Answer = _ => throw new HttpRequestException("Connection refused");
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.InRange((await StepAsync()).TotalSeconds, 0.5, 1);
        Assert.Equal(2, _logs.Lines.Count(l => l.Level == LogLevel.Warning));
    }

    [Fact]
    public async Task StepAsync_NrfRefusesTheProfile_ProblemLoggedAndRetried()
    {
        _nrf.Answer = _ => StubNrf.Json(400, """{"status":400,"cause":"MANDATORY_IE_INCORRECT","detail":"nfType"}""", "application/problem+json");

        var wait = await StepAsync();

        Assert.InRange(wait.TotalSeconds, 0.5, 1);
        Assert.Contains("HTTP 400 MANDATORY_IE_INCORRECT: nfType", _logs.Lines.Single(l => l.EventId == 5006).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_AfterRegistration_DeletesTheInstance()
    {
        _nrf.Answer = r => new HttpResponseMessage(r.Method == HttpMethod.Delete ? HttpStatusCode.NoContent : HttpStatusCode.Created);
        await StepAsync();

        await Registrar.StopAsync(CancellationToken.None);

        Assert.Equal(["PUT", "DELETE"], _nrf.Requests.Select(r => r.Method));
        Assert.Equal(NrfRegistrationPhase.Stopped, Registrar.Phase);
        Assert.Contains(_logs.Lines, l => l.EventId == 5009);
    }

    [Fact]
    public async Task StopAsync_NeverRegistered_SendsNothing()
    {
        await Registrar.StopAsync(CancellationToken.None);

        Assert.Empty(_nrf.Requests);
    }

    public void Dispose() => _services.Dispose();

    /// <summary>One request the stub received.</summary>
    private sealed record Request(string Method, string Uri, string? ContentType, string Body);

    /// <summary>An NRF in memory: answers with <see cref="Answer"/> and records every request.</summary>
    private sealed class StubNrf : HttpMessageHandler
    {
        private readonly ConcurrentQueue<Request> _requests = new();

        public Func<HttpRequestMessage, HttpResponseMessage> Answer { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NoContent);

        public List<Request> Requests => [.. _requests];

        public static HttpResponseMessage Json(int status, string body, string mediaType = "application/json")
            => new((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            _requests.Enqueue(new Request(request.Method.Method, request.RequestUri!.ToString(), request.Content?.Headers.ContentType?.ToString(), body));
            return Answer(request);
        }
    }
}
