using System.Net;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImeiEir.Diameter.Tests;

public class DiameterOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0:3868", "0.0.0.0", 3868)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::]:3868", "::", 3868)]
    [InlineData("[::1]:3869", "::1", 3869)]
    [InlineData("*:3868", "::", 3868)]
    [InlineData("localhost:3868", "127.0.0.1", 3868)]
    [InlineData(" 10.0.0.5:3868 ", "10.0.0.5", 3868)]
    public void ParseListen_HostPort_GivesTheEndPoint(string listen, string address, int port)
        => Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), DiameterOptions.ParseListen(listen));

    [Theory]
    [InlineData("3868")]
    [InlineData("host:")]
    [InlineData(":3868")]
    [InlineData("0.0.0.0:70000")]
    [InlineData("0.0.0.0:-1")]
    [InlineData("eir.example.org:3868")]
    public void ParseListen_Malformed_ThrowsNamingTheSetting(string listen)
    {
        var ex = Assert.Throws<ArgumentException>(() => DiameterOptions.ParseListen(listen));
        Assert.Contains("Diameter:Listen", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ListenEmpty_RequiresNothing()
        => new DiameterOptions().Validate();

    [Theory]
    [InlineData("OriginHost")]
    [InlineData("OriginRealm")]
    [InlineData("AllowedPeers")]
    [InlineData("MaxMessageSize")]
    public void Validate_ListeningWithASettingMissingOrWrong_ThrowsNamingIt(string setting)
    {
        var options = new DiameterOptions
        {
            Listen = "127.0.0.1:0",
            OriginHost = "eir.test",
            OriginRealm = "test",
            AllowedPeers = ["mme.test"],
        };
        switch (setting)
        {
            case "OriginHost": options.OriginHost = " "; break;
            case "OriginRealm": options.OriginRealm = ""; break;
            case "AllowedPeers": options.AllowedPeers = [""]; break;
            default: options.MaxMessageSize = 100; break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("Diameter:" + setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddDiameterS13_FromConfiguration_BindsTheSectionAndServes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Diameter:Listen"] = "127.0.0.1:0",
            ["Diameter:OriginHost"] = "eir1.test",
            ["Diameter:OriginRealm"] = "test",
            ["Diameter:AllowedPeers:0"] = "mme1.test",
            ["Diameter:AllowedRealms:0"] = "epc.test",
            ["Diameter:IdleTimeout"] = "00:00:30",
        }).Build();
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System))
            .AddDiameterS13(configuration);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DiameterOptions>>().Value;
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        var server = provider.GetRequiredService<DiameterServer>();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            Assert.Same(server, hosted);
            Assert.Equal(["mme1.test"], options.AllowedPeers);
            Assert.Equal(["epc.test"], options.AllowedRealms);
            Assert.Equal(TimeSpan.FromSeconds(30), options.IdleTimeout);
            Assert.NotEqual(0, server.Port);
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }
}
