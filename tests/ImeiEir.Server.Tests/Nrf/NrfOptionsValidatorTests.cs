using ImeiEir.Server.Hosting;
using ImeiEir.Server.Nrf;
using ImeiEir.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>Nrf:* settings are checked at start; each error names its setting; nothing is required while Nrf:Uri is empty.</summary>
public sealed class NrfOptionsValidatorTests
{
    private static NrfOptions Valid() => new()
    {
        Uri = "https://nrf.example.org:8443",
        NfInstanceId = RegistrarHarness.InstanceId,
        AdvertisedUri = "https://10.0.0.5:8443",
    };

    [Fact]
    public void Validate_UriEmpty_OffAndNothingRequired()
        => Assert.Empty(NrfOptionsValidator.Errors(new NrfOptions { NfInstanceId = "not-a-uuid", HeartBeatTimer = 0 }));

    [Fact]
    public void Validate_ValidSettings_NoErrors()
        => Assert.Empty(NrfOptionsValidator.Errors(Valid()));

    /// <summary>The options as the host binds them: the promised setting names over <see cref="Valid"/>'s values.</summary>
    private static NrfOptions Bound(string key, string value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Nrf:Uri"] = "https://nrf.example.org:8443",
            ["Nrf:NfInstanceId"] = RegistrarHarness.InstanceId,
            ["Nrf:AdvertisedUri"] = "https://10.0.0.5:8443",
            ["Nrf:PlmnList:0:Mcc"] = "437",
            ["Nrf:PlmnList:0:Mnc"] = "01",
        };
        settings[key] = value;
        var o = new NrfOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Nrf").Bind(o);
        return o;
    }

    public static TheoryData<string, string> Wrong() => new()
    {
        { "Nrf:Uri", "ftp://nrf.example.org" },
        { "Nrf:Uri", "https://user:secret@nrf.example.org" },
        { "Nrf:NfInstanceId", "" },
        { "Nrf:NfInstanceId", "nrf-1" },
        { "Nrf:NfInstanceId", "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }, // a version 1 UUID
        { "Nrf:AdvertisedUri", "" },
        { "Nrf:AdvertisedUri", "10.0.0.5:8443" },
        { "Nrf:AdvertisedUri", "https://0.0.0.0:8443" },
        { "Nrf:AdvertisedUri", "https://[::]:8443" },
        { "Nrf:AdvertisedUri", "https://localhost:8443" },
        { "Nrf:AdvertisedUri", "https://10.0.0.5:8443/?a=b" },
        { "Nrf:PlmnList:0:Mcc", "43" },
        { "Nrf:PlmnList:0:Mnc", "1" },
        { "Nrf:PlmnList:0:Mnc", "0a1" },
        { "Nrf:HeartBeatTimer", "0" },
        { "Nrf:HeartBeatTimer", "3601" },
        { "Nrf:Priority", "65536" },
        { "Nrf:Capacity", "-1" },
        { "Nrf:RetryMinDelay", "00:00:00" },
        { "Nrf:RetryMaxDelay", "00:00:00.500" },
        { "Nrf:RequestTimeout", "00:00:00" },
        { "Nrf:ReadinessPollInterval", "-00:00:01" },
        { "Nrf:DeregisterTimeout", "00:00:00" },
        { "Nrf:CaPath", "/nonexistent/ca.pem" },
        { "Nrf:ClientCertificate:Path", "/nonexistent/client.pem" },
        { "Nrf:ClientCertificate:KeyPath", "/nonexistent/client-key.pem" },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public void Validate_WrongSetting_OneErrorNamingTheSetting(string key, string value)
    {
        var errors = NrfOptionsValidator.Errors(Bound(key, value));

        var error = Assert.Single(errors);
        Assert.Contains(key, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ClientCertificateWithKey_Loads()
    {
        using var pki = new TestPki();
        using var client = pki.Issue("client", "eir-client", CertificateUsage.Client);
        var o = Valid();
        o.CaPath = pki.CaPath;
        o.ClientCertificate = new NrfClientCertificateOptions { Path = client.CertificatePath, KeyPath = client.KeyPath };

        Assert.Empty(NrfOptionsValidator.Errors(o));
    }

    [Fact]
    public void Validate_ClientCertificateWithoutItsKey_ErrorNamesTheSetting()
    {
        using var pki = new TestPki();
        using var client = pki.Issue("client", "eir-client", CertificateUsage.Client);
        var o = Valid();
        o.ClientCertificate = new NrfClientCertificateOptions { Path = client.CertificatePath };

        Assert.Contains("Nrf:ClientCertificate", Assert.Single(NrfOptionsValidator.Errors(o)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NfInstanceIdNotAUuid_HostRefusesToStartNamingTheSetting()
    {
        var app = EirHost.Build([], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Admin:Url"] = "http://127.0.0.1:0",
            ["Redis:Configuration"] = "127.0.0.1:1,abortConnect=false,connectTimeout=100",
            ["Nrf:Uri"] = "https://127.0.0.1:1",
            ["Nrf:NfInstanceId"] = "eir-node-1",
            ["Nrf:AdvertisedUri"] = "https://10.0.0.5:8443",
        }));
        await using (app)
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            Assert.Contains("Nrf:NfInstanceId", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AddNrfRegistration_UriEmpty_NoRegistrarRuns()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNrfRegistration(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        Assert.Empty(provider.GetServices<IHostedService>());
        Assert.False(provider.GetRequiredService<IOptions<NrfOptions>>().Value.Enabled);
    }
}
