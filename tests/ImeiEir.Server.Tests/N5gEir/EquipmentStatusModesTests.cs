using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>N5g-eir on nodes configured or started otherwise: <c>Policy:UnknownEquipment=Unknown</c>, and not loaded yet.</summary>
public sealed class EquipmentStatusModesTests
{
    [Fact]
    public async Task GetEquipmentStatus_UnknownModeAndUnregisteredImei_404EquipmentUnknown()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var node = await TestNode.StartAsync(redis.Configuration, new Dictionary<string, string?> { ["Policy:UnknownEquipment"] = "Unknown" });
        Assert.True((await node.ApplyOneAsync("seed", Seed())).Accepted);

        foreach (var client in Enum.GetValues<H2Client>())
        {
            var unknown = await N5gEirCaller.GetAsync(client, node.GrpcPort, $"pei=imei-{Imei15(Unknown14)}&supi=imsi-{HomeImsi}");
            var bare = await N5gEirCaller.GetAsync(client, node.GrpcPort, $"pei=imeisv-{Unknown14}01");

            foreach (var r in new[] { unknown, bare })
            {
                EquipmentStatusTests.AssertValid(r);
                Assert.Equal((404, "application/problem+json"), (r.Status, r.ContentType));
                Assert.Equal("ERROR_EQUIPMENT_UNKNOWN", r.Cause);
                Assert.Equal(404, r.Json.GetProperty("status").GetInt32());
            }
        }
    }

    [Theory]
    [InlineData("pei=imei-{0}", Registered14, "WHITELISTED")]
    [InlineData("pei=imei-{0}&supi=imsi-" + HomeImsi, Stolen14, "BLACKLISTED")]
    [InlineData("pei=imei-{0}", Bound14, "BLACKLISTED")]
    [InlineData("pei=imei-{0}&supi=imsi-" + RoamingImsi, Unknown14, "WHITELISTED")]
    public async Task GetEquipmentStatus_UnknownModeAndKnownOrRoaming_StillAVerdict(string query, string imei14, string status)
    {
        // Only an IMEI that is neither registered nor bound is "unknown": stolen, bound and roaming keep their verdicts.
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var node = await TestNode.StartAsync(redis.Configuration, new Dictionary<string, string?> { ["Policy:UnknownEquipment"] = "Unknown" });
        Assert.True((await node.ApplyOneAsync("seed", Seed())).Accepted);

        var r = await N5gEirCaller.GetAsync(H2Client.Curl, node.GrpcPort, string.Format(System.Globalization.CultureInfo.InvariantCulture, query, Imei15(imei14)));

        EquipmentStatusTests.AssertValid(r);
        Assert.Equal((200, status), (r.Status, r.EquipmentStatus));
    }

    [Theory]
    [InlineData(H2Client.DotNet, "pei=imei-490154203237518")]
    [InlineData(H2Client.Curl, "pei=imei-490154203237518")]
    [InlineData(H2Client.Curl, "pei=mac-00-11-22-33-44-55")]
    [InlineData(H2Client.DotNet, "")]
    public async Task GetEquipmentStatus_NodeNotLoaded_503WithRetryAfterNeverAVerdict(H2Client client, string query)
    {
        var nowhere = $"127.0.0.1:{RedisServer.FreePort()},connectTimeout=200";
        await using var node = await TestNode.StartAsync(nowhere, waitReady: false);

        var r = await N5gEirCaller.GetAsync(client, node.GrpcPort, query);

        EquipmentStatusTests.AssertValid(r);
        Assert.Equal((503, "application/problem+json", "5"), (r.Status, r.ContentType, r.RetryAfter));
        Assert.Equal("NF_CONGESTION", r.Cause);
        Assert.Equal(503, r.Json.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task GetEquipmentStatus_NodeNotLoadedWithoutKey_401BeforeAnythingElse()
    {
        var nowhere = $"127.0.0.1:{RedisServer.FreePort()},connectTimeout=200";
        await using var node = await TestNode.StartAsync(nowhere, waitReady: false);

        var r = await N5gEirCaller.GetAsync(H2Client.Curl, node.GrpcPort, "pei=imei-490154203237518", key: null);

        Assert.Equal(401, r.Status);
    }
}
