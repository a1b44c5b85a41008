using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Hosting;
using ImeiEir.Server.Security;
using ImeiEir.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Server.Tests;

/// <summary>A real node (the production host, Kestrel on loopback ports) on a test Redis, with clients per role.</summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string CheckKey = "check-key-0123456789";
    public const string SyncKey = "sync-key-0123456789";
    public const string SelfServiceKey = "ussd-key-0123456789";
    public const string AllKey = "all-key-0123456789";

    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private TestNode(WebApplication app, int grpcPort, int adminPort, X509Certificate2? trustCa)
    {
        _app = app;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        _channel = trustCa is null
            ? GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}")
            : Security.TlsClients.Channel(grpcPort, trustCa);
    }

    public int GrpcPort { get; }

    public int AdminPort { get; }

    public GrpcChannel Channel => _channel;

    public IServiceProvider Services => _app.Services;

    /// <param name="redisConfiguration">The test Redis.</param>
    /// <param name="settings">Settings on top of the defaults here.</param>
    /// <param name="waitReady">Wait for /readyz.</param>
    /// <param name="withClients">Configure the four API-key clients.</param>
    /// <param name="tls">
    /// The Grpc endpoint is https with this server certificate, and <see cref="Channel"/> trusts <paramref name="trustCa"/>.
    /// </param>
    /// <param name="trustCa">The CA the test's own channel trusts (with <paramref name="tls"/>).</param>
    /// <param name="logs">Receives the node's log (every level) when given.</param>
    public static async Task<TestNode> StartAsync(
        string redisConfiguration,
        IDictionary<string, string?>? settings = null,
        bool waitReady = true,
        bool withClients = true,
        IssuedCertificate? tls = null,
        X509Certificate2? trustCa = null,
        ILoggerProvider? logs = null)
    {
        // A free port found by FreePort can be taken by another process before Kestrel binds it (other test processes
        // run beside this one): such a start is retried on new ports, a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(redisConfiguration, settings, waitReady, withClients, tls, trustCa, logs);
            }
            catch (IOException ex) when (attempt < 4 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    private static async Task<TestNode> StartOnceAsync(
        string redisConfiguration,
        IDictionary<string, string?>? settings = null,
        bool waitReady = true,
        bool withClients = true,
        IssuedCertificate? tls = null,
        X509Certificate2? trustCa = null,
        ILoggerProvider? logs = null)
    {
        var grpcPort = RedisServer.FreePort();
        var adminPort = RedisServer.FreePort();
        var config = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = $"{(tls is null ? "http" : "https")}://127.0.0.1:{grpcPort}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:Admin:Url"] = $"http://127.0.0.1:{adminPort}",
            ["Kestrel:Endpoints:Admin:Protocols"] = "Http1",
            ["Redis:Configuration"] = redisConfiguration,
            ["Redis:FollowPollInterval"] = "00:00:00.200",
            ["Auth:Enabled"] = "true",
        };
        if (tls is not null)
        {
            config["Kestrel:Endpoints:Grpc:Certificate:Path"] = tls.CertificatePath;
            config["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = tls.KeyPath;
        }

        if (withClients)
        {
            AddClient(config, 0, "core", CheckKey, Roles.Check);
            AddClient(config, 1, "registry", SyncKey, Roles.Sync);
            AddClient(config, 2, "ussd", SelfServiceKey, Roles.SelfService);
            AddClient(config, 3, "ops", AllKey, Roles.Check, Roles.Sync, Roles.SelfService);
        }
        foreach (var kv in settings ?? new Dictionary<string, string?>())
        {
            config[kv.Key] = kv.Value;
        }

        var app = EirHost.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            b.Logging.ClearProviders();
            b.Logging.SetMinimumLevel(logs is null ? LogLevel.Warning : LogLevel.Trace);
            if (logs is not null)
            {
                b.Logging.AddProvider(logs);
            }
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var node = new TestNode(app, grpcPort, adminPort, tls is null ? null : trustCa);
        if (waitReady)
        {
            await node.WaitReadyAsync();
        }

        return node;
    }

    private static void AddClient(Dictionary<string, string?> config, int i, string name, string key, params string[] roles)
    {
        config[$"Auth:Clients:{i}:Name"] = name;
        config[$"Auth:Clients:{i}:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        for (var j = 0; j < roles.Length; j++)
        {
            config[$"Auth:Clients:{i}:Roles:{j}"] = roles[j];
        }
    }

    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            try
            {
                var r = await http.GetAsync($"http://127.0.0.1:{AdminPort}/readyz");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("node did not become ready");
    }

    public static Metadata Auth(string key) => new() { { "authorization", "Bearer " + key } };

    public EquipmentCheck.EquipmentCheckClient Checks => new(_channel);

    public SelfService.SelfServiceClient SelfService => new(_channel);

    public RegistrySync.RegistrySyncClient Sync => new(_channel);

    public async Task<CheckResponse> CheckAsync(string imei, string msisdn = "", string imsi = "")
        => await Checks.CheckAsync(new CheckRequest { Imei = imei, Msisdn = msisdn, Imsi = imsi }, Auth(CheckKey));

    /// <summary>Sends batches on one Apply stream and returns their acks.</summary>
    public async Task<List<BatchAck>> ApplyAsync(params DeltaBatch[] batches)
    {
        using var call = Sync.Apply(Auth(SyncKey));
        var acks = new List<BatchAck>();
        foreach (var b in batches)
        {
            await call.RequestStream.WriteAsync(b);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            acks.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        return acks;
    }

    public async Task<BatchAck> ApplyOneAsync(string batchId, params Delta[] deltas)
    {
        var batch = new DeltaBatch { BatchId = batchId };
        batch.Deltas.AddRange(deltas);
        return (await ApplyAsync(batch))[0];
    }

    public async Task<SyncState> SyncStateAsync() => await Sync.GetSyncStateAsync(new GetSyncStateRequest(), Auth(SyncKey));

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Builders for deltas, to keep tests readable.</summary>
public static class D
{
    public static Delta Register(string deviceId, params string[] imeis)
    {
        var r = new RegisterDevice { DeviceId = deviceId };
        r.Imeis.AddRange(imeis);
        return new Delta { RegisterDevice = r };
    }

    public static Delta Unregister(string deviceId) => new() { UnregisterDevice = new UnregisterDevice { DeviceId = deviceId } };

    public static Delta Bind(string imei, string msisdn, string imsi = "") => new() { Bind = new Bind { Imei = imei, Msisdn = msisdn, Imsi = imsi } };

    public static Delta Unbind(string imei, string msisdn, string imsi = "") => new() { Unbind = new Unbind { Imei = imei, Msisdn = msisdn, Imsi = imsi } };

    public static Delta Stolen(string imei, string caseRef = "CASE-1") => new() { ReportStolen = new ReportStolen { Imei = imei, CaseReference = caseRef } };

    public static Delta ClearStolen(string imei) => new() { ClearStolen = new ClearStolen { Imei = imei } };

    public static Delta Subscriber(string imsi, string msisdn) => new() { UpsertSubscriber = new UpsertSubscriber { Imsi = imsi, Msisdn = msisdn } };

    public static Delta RemoveSubscriber(string imsi) => new() { RemoveSubscriber = new RemoveSubscriber { Imsi = imsi } };

    public static Delta Switch(string previous, string next, string imei) => new() { SwitchNumber = new SwitchNumberRequest { PreviousMsisdn = previous, NewMsisdn = next, Imei = imei } };
}
