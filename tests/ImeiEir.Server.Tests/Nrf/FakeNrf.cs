using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>One request the fake NRF received; <see cref="Seq"/> counts from 1 in arrival order.</summary>
public sealed record NrfCall(int Seq, string Method, string Path, string? ContentType, string Body, string Protocol, string? ClientSubject, int Answer)
{
    public string InstanceId => Path[(Path.LastIndexOf('/') + 1)..];

    public bool IsPut => Method == "PUT";

    public bool IsPatch => Method == "PATCH";

    public bool IsDelete => Method == "DELETE";

    /// <summary>The <c>value</c> of a one-operation JSON Patch replacing <c>/nfStatus</c>, else null.</summary>
    public string? PatchedStatus
    {
        get
        {
            if (!IsPatch || JsonNode.Parse(Body) is not JsonArray { Count: 1 } ops || ops[0] is not JsonObject op)
            {
                return null;
            }

            return (string?)op["op"] == "replace" && (string?)op["path"] == "/nfStatus" ? (string?)op["value"] : null;
        }
    }

    public JsonObject Profile => (JsonObject)JsonNode.Parse(Body)!;
}

/// <summary>
/// An NRF for tests: a real Kestrel server on a loopback port, HTTPS with a <see cref="ImeiEir.Tests.Shared.TestPki"/> certificate
/// (HTTP/2 by ALPN) or cleartext HTTP/2 (prior knowledge only, as Open5GS' NRF), optionally requiring a client
/// certificate. It records every call, and answers Nnrf_NFManagement on <c>/nnrf-nfm/v1/nf-instances/{id}</c> as
/// TS 29.510 says: PUT stores the profile (201 with Location, or 200 when it replaces one) and answers it, with its own
/// <see cref="HeartBeatTimer"/> when set; PATCH (JSON Patch only, else 415) applies the patch and answers 204 (or 200
/// with the profile), 404 when the instance is unknown; DELETE 204, or 404. It can be stopped (down: connections
/// refused) and started again on the same port; its profiles survive that unless <see cref="Forget"/> is called.
/// </summary>
public sealed class FakeNrf : IAsyncDisposable
{
    public const string Prefix = "/nnrf-nfm/v1/nf-instances/";

    private readonly ConcurrentQueue<NrfCall> _calls = new();
    private readonly X509Certificate2? _serverCertificate;
    private readonly X509Certificate2? _clientCa;
    private WebApplication? _app;
    private int _connections;
    private int _seq;

    private FakeNrf(X509Certificate2? serverCertificate, X509Certificate2? clientCa, int? port)
    {
        _serverCertificate = serverCertificate;
        _clientCa = clientCa;
        Port = port ?? RedisServer.FreePort();
    }

    public int Port { get; }

    /// <summary>The apiRoot to put in <c>Nrf:Uri</c>.</summary>
    public string Uri => $"{(_serverCertificate is null ? "http" : "https")}://127.0.0.1:{Port}";

    /// <summary>The profiles held, by NF instance id.</summary>
    public ConcurrentDictionary<string, JsonObject> Profiles { get; } = new();

    /// <summary>When set, the heartBeatTimer the NRF imposes in its answers (TS 29.510: it may override the proposal).</summary>
    public int? HeartBeatTimer { get; set; }

    /// <summary>PATCH answers 200 with the profile instead of 204.</summary>
    public bool PatchAnswersWithProfile { get; set; }

    /// <summary>Called for each call before it is answered (e.g. to look at the node at that moment).</summary>
    public Action<NrfCall>? OnCall { get; set; }

    public IReadOnlyList<NrfCall> Calls => [.. _calls];

    /// <summary>TCP connections accepted, TLS handshakes that failed included.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public bool IsUp => _app is not null;

    /// <summary>
    /// An NRF over HTTPS with <paramref name="certificate"/>, requiring a client certificate issued by
    /// <paramref name="clientCa"/> when given; on <paramref name="port"/> (another fake's, to replace it) or a free one;
    /// not listening yet unless <paramref name="start"/>.
    /// </summary>
    public static async Task<FakeNrf> StartHttpsAsync(X509Certificate2 certificate, X509Certificate2? clientCa = null, bool start = true, int? port = null)
    {
        var nrf = new FakeNrf(certificate, clientCa, port);
        if (start)
        {
            await nrf.StartAsync();
        }

        return nrf;
    }

    /// <summary>An NRF over cleartext HTTP/2 (h2c, prior knowledge only: HTTP/1.1 is refused).</summary>
    public static async Task<FakeNrf> StartH2cAsync()
    {
        var nrf = new FakeNrf(null, null, null);
        await nrf.StartAsync();
        return nrf;
    }

    /// <summary>Starts (again) on <see cref="Port"/>.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // No appsettings.json (the node's, copied beside the tests, names Kestrel endpoints) nor environment: only the
        // one listener below.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, listen =>
        {
            listen.Use(next => context =>
            {
                Interlocked.Increment(ref _connections);
                return next(context);
            });
            if (_serverCertificate is null)
            {
                listen.Protocols = HttpProtocols.Http2;
                return;
            }

            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = _serverCertificate,
                ClientCertificateMode = _clientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, _, _) => IssuedBy(certificate, _clientCa),
            });
        }));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        Assert.Equal([$"{Uri}"], app.Urls.Select(u => u.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>Down: the listener closes, connections are refused.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The NRF loses every profile (restarted without its database, or expired them): the next PATCH gets 404.</summary>
    public void Forget() => Profiles.Clear();

    /// <summary>Waits (polling, generous timeout) until at least <paramref name="count"/> calls match, and returns them.</summary>
    public async Task<IReadOnlyList<NrfCall>> WaitForAsync(Func<NrfCall, bool> match, int count = 1, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var found = Calls.Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{found.Count} of {count} expected NRF calls within {timeoutSeconds} s; calls: {Describe()}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Every call so far, one line each (for assertion messages).</summary>
    public string Describe() => string.Join(" | ", Calls.Select(c => $"{c.Method} {c.Path} {c.Body} -> {c.Answer}"));

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var path = request.Path.Value ?? "";
        var (status, answer) = Answer(request.Method, path, request.ContentType, body);
        var call = new NrfCall(Interlocked.Increment(ref _seq), request.Method, path, request.ContentType, body, request.Protocol, context.Connection.ClientCertificate?.Subject, status);
        OnCall?.Invoke(call);
        _calls.Enqueue(call);

        context.Response.StatusCode = status;
        if (status == 201)
        {
            context.Response.Headers.Location = Uri + path;
        }

        if (answer is not null)
        {
            context.Response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        }
    }

    private (int Status, JsonObject? Body) Answer(string method, string path, string? contentType, string body)
    {
        if (!path.StartsWith(Prefix, StringComparison.Ordinal) || path.Length == Prefix.Length)
        {
            return Problem(404, "RESOURCE_URI_STRUCTURE_NOT_FOUND");
        }

        var id = path[Prefix.Length..];
        switch (method)
        {
            case "PUT":
                if (!IsMediaType(contentType, "application/json") || Parse(body) is not JsonObject profile)
                {
                    return Problem(400, "INVALID_MSG_FORMAT");
                }

                if (HeartBeatTimer is { } timer)
                {
                    profile["heartBeatTimer"] = timer;
                }

                var created = !Profiles.ContainsKey(id);
                Profiles[id] = profile;
                return (created ? 201 : 200, (JsonObject)profile.DeepClone());

            case "PATCH":
                if (!IsMediaType(contentType, "application/json-patch+json"))
                {
                    return Problem(415, "UNSUPPORTED_MEDIA_TYPE");
                }

                if (!Profiles.TryGetValue(id, out var stored))
                {
                    return Problem(404, "RESOURCE_URI_STRUCTURE_NOT_FOUND");
                }

                if (Parse(body) is not JsonArray { Count: > 0 } patch)
                {
                    return Problem(400, "INVALID_MSG_FORMAT");
                }

                foreach (var op in patch.OfType<JsonObject>())
                {
                    if ((string?)op["op"] is "replace" or "add" && (string?)op["path"] is ['/', .. var name] && !name.Contains('/', StringComparison.Ordinal))
                    {
                        stored[name] = op["value"]?.DeepClone();
                    }
                }

                if (HeartBeatTimer is { } patchTimer)
                {
                    stored["heartBeatTimer"] = patchTimer;
                }

                return PatchAnswersWithProfile ? (200, (JsonObject)stored.DeepClone()) : (204, null);

            case "DELETE":
                return Profiles.TryRemove(id, out _) ? (204, null) : Problem(404, "RESOURCE_URI_STRUCTURE_NOT_FOUND");

            case "GET":
                return Profiles.TryGetValue(id, out var held) ? (200, (JsonObject)held.DeepClone()) : Problem(404, "RESOURCE_URI_STRUCTURE_NOT_FOUND");

            default:
                return Problem(405, "METHOD_NOT_ALLOWED");
        }
    }

    private static (int, JsonObject) Problem(int status, string cause)
        => (status, new JsonObject { ["status"] = status, ["cause"] = cause, ["detail"] = string.Create(CultureInfo.InvariantCulture, $"fake NRF: {cause}") });

    private static bool IsMediaType(string? contentType, string expected)
        => contentType is not null && contentType.Split(';')[0].Trim().Equals(expected, StringComparison.OrdinalIgnoreCase);

    private static JsonNode? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2? ca)
    {
        if (ca is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
