using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImeiEir.Diameter.Tests;

/// <summary>The <c>Diameter:Tls</c> settings: binding, defaults, and the errors a wrong value gives at start.</summary>
public sealed class DiameterTlsOptionsTests : IDisposable
{
    private readonly TestTls _tls = new();

    public void Dispose() => _tls.Dispose();

    [Fact]
    public void Defaults_TlsOff_NothingRequired()
    {
        var options = new DiameterOptions();

        options.Validate();

        Assert.False(options.Tls.Enabled);
        Assert.Equal("", options.Tls.Listen);
        Assert.Equal(5658, DiameterTlsOptions.DefaultPort);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Tls.ReloadCheckInterval);
    }

    [Theory]
    [InlineData("CertificatePath", "")]
    [InlineData("KeyPath", "")]
    [InlineData("PeerCaPath", " ")]
    [InlineData("CertificatePath", "/nonexistent/eir.pem")]
    [InlineData("KeyPath", "/nonexistent/eir-key.pem")]
    [InlineData("PeerCaPath", "/nonexistent/ca.pem")]
    public void Validate_TlsListenWithAFileUnsetOrMissing_ThrowsNamingTheSetting(string setting, string value)
    {
        var options = Listening();
        switch (setting)
        {
            case "CertificatePath": options.Tls.CertificatePath = value; break;
            case "KeyPath": options.Tls.KeyPath = value; break;
            default: options.Tls.PeerCaPath = value; break;
        }

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Diameter:Tls:" + setting, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5658")]
    [InlineData("eir.example.org:5658")]
    [InlineData("0.0.0.0:99999")]
    public void Validate_TlsListenMalformed_ThrowsNamingIt(string listen)
    {
        var options = Listening();
        options.Tls.Listen = listen;

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Diameter:Tls:Listen", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5658", "127.0.0.1:5658")]
    [InlineData("0.0.0.0:5658", "127.0.0.1:5658")]
    [InlineData("127.0.0.1:3868", "*:3868")]
    public void Validate_TlsOnTheCleartextPort_Throws(string listen, string tlsListen)
    {
        var options = Listening();
        options.Listen = listen;
        options.Tls.Listen = tlsListen;

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Diameter:Tls:Listen", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TlsOnlyWithoutIdentity_ThrowsNamingOriginHost()
    {
        var options = Listening();
        options.Listen = "";
        options.OriginHost = "";

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Diameter:OriginHost", ex.Message, StringComparison.Ordinal);
    }

    public enum BrokenFile
    {
        KeyNotPem,
        KeyOfAnotherCertificate,
        KeyEncrypted,
        CertificateNotPem,
        CaBundleEmpty,
        CaBundleWithoutRoot,
    }

    [Theory]
    [InlineData(BrokenFile.KeyNotPem, "Diameter:Tls:KeyPath")]
    [InlineData(BrokenFile.KeyOfAnotherCertificate, "Diameter:Tls:KeyPath")]
    [InlineData(BrokenFile.KeyEncrypted, "Diameter:Tls:KeyPath")]
    [InlineData(BrokenFile.CertificateNotPem, "Diameter:Tls:CertificatePath")]
    [InlineData(BrokenFile.CaBundleEmpty, "Diameter:Tls:PeerCaPath")]
    [InlineData(BrokenFile.CaBundleWithoutRoot, "Diameter:Tls:PeerCaPath")]
    public async Task StartAsync_UnusableTlsFile_ThrowsNamingTheSettingAndBindsNothing(BrokenFile broken, string setting)
    {
        var options = Listening();
        var path = Path.Combine(_tls.Pki.Folder, "broken.pem");
        switch (broken)
        {
            case BrokenFile.KeyNotPem:
                File.WriteAllText(path, "this is not a key\n");
                options.Tls.KeyPath = path;
                break;
            case BrokenFile.KeyOfAnotherCertificate:
                options.Tls.KeyPath = _tls.Client.KeyPath;
                break;
            case BrokenFile.KeyEncrypted:
                using (var key = System.Security.Cryptography.ECDsa.Create())
                {
                    File.WriteAllText(path, key.ExportEncryptedPkcs8PrivateKeyPem("secret", new(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)));
                }

                options.Tls.KeyPath = path;
                break;
            case BrokenFile.CertificateNotPem:
                File.WriteAllBytes(path, _tls.Server.Certificate.RawData);
                options.Tls.CertificatePath = path;
                break;
            case BrokenFile.CaBundleEmpty:
                File.WriteAllText(path, "");
                options.Tls.PeerCaPath = path;
                break;
            default:
                // A leaf alone is no trust anchor.
                options.Tls.PeerCaPath = _tls.Client.CertificatePath;
                break;
        }

        var server = new DiameterServer(Options.Create(options), Checker(), Microsoft.Extensions.Logging.Abstractions.NullLogger<DiameterServer>.Instance);
        await using (server)
        {
            var ex = await Assert.ThrowsAsync<ArgumentException>(() => server.StartAsync(CancellationToken.None));

            Assert.StartsWith(setting, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", ex.Message, StringComparison.Ordinal);
            Assert.Null(server.LocalEndPoint);
            Assert.Null(server.TlsLocalEndPoint);
        }
    }

    [Fact]
    public async Task AddDiameterS13_TlsSettings_BindFromTheDiameterSectionAndServe()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Diameter:Listen"] = "127.0.0.1:0",
            ["Diameter:OriginHost"] = TestEir.OriginHost,
            ["Diameter:OriginRealm"] = Requests.EirRealm,
            ["Diameter:AllowedPeers:0"] = Requests.PeerHost,
            ["Diameter:Tls:Listen"] = "127.0.0.1:0",
            ["Diameter:Tls:CertificatePath"] = _tls.Server.CertificatePath,
            ["Diameter:Tls:KeyPath"] = _tls.Server.KeyPath,
            ["Diameter:Tls:PeerCaPath"] = _tls.Pki.CaPath,
        }).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(Checker())
            .AddDiameterS13(configuration);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DiameterOptions>>().Value;
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        var server = provider.GetRequiredService<DiameterServer>();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(_tls.Server.CertificatePath, options.Tls.CertificatePath);
            Assert.Equal(_tls.Server.KeyPath, options.Tls.KeyPath);
            Assert.Equal(_tls.Pki.CaPath, options.Tls.PeerCaPath);
            await using var client = await DiameterTestClient.ConnectTlsAsync(server.TlsPort, _tls.Client.Certificate, _tls.Pki.Ca);
            Assert.Equal(ResultCode.Success, (await client.RequestAsync(Requests.Cer())).ResultCode);
            Assert.NotEqual(0, server.Port);
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void AddDiameterS13_TlsListenWithoutCertificate_FailsValidationNamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Diameter:OriginHost"] = TestEir.OriginHost,
            ["Diameter:OriginRealm"] = Requests.EirRealm,
            ["Diameter:AllowedPeers:0"] = Requests.PeerHost,
            ["Diameter:Tls:Listen"] = "0.0.0.0:5658",
            ["Diameter:Tls:PeerCaPath"] = _tls.Pki.CaPath,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSingleton(Checker()).AddDiameterS13(configuration).BuildServiceProvider();

        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IOptions<DiameterOptions>>().Value);

        Assert.Contains("Diameter:Tls:CertificatePath", ex.ToString(), StringComparison.Ordinal);
    }

    private DiameterOptions Listening()
    {
        var options = TestEir.DefaultOptions();
        _tls.Apply(options);
        return options;
    }

    private static EquipmentChecker Checker()
    {
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        return new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System);
    }
}
