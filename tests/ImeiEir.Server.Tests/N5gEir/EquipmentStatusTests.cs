using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>
/// N5g-eir GetEquipmentStatus (TS 29.511) end to end: a real node on a real Redis, called over HTTP/2 cleartext with
/// prior knowledge by .NET's HttpClient and by curl. Every response is validated against the Release 18 OpenAPI files.
/// </summary>
public sealed class EquipmentStatusTests : IClassFixture<N5gEirNode>
{
    private readonly N5gEirNode _eir;

    public EquipmentStatusTests(N5gEirNode eir) => _eir = eir;

    public static TheoryData<H2Client, string, string> Verdicts()
    {
        var cases = new (string Query, string Status)[]
        {
            // 4. Registered: any SIM, any PEI form.
            ($"pei=imei-{Imei15(Registered14)}", "WHITELISTED"),
            ($"pei=imei-{Imei15(Registered14)}&supi=imsi-437010999999999", "WHITELISTED"),
            ($"pei=imei-{Imei15(Registered14)}&supi=imsi-437010999999999&gpsi=msisdn-996555000001", "WHITELISTED"),
            ($"pei=imeisv-{Second14}12", "WHITELISTED"),
            ($"pei=imei-{Registered14}9", "WHITELISTED"), // a wrong check digit is still a valid network input
            ($"pei={Imei15(Registered14)}", "WHITELISTED"), // bare digits: accepted (docs/n5g-eir.md)
            ($"pei={Second14}", "WHITELISTED"),
            ($"pei=imei%2D{Imei15(Registered14)}&supported-features=0a", "WHITELISTED"),
            // 5. Bound: IMSI, MSISDN, or the MSISDN the IMSI maps to.
            ($"pei=imei-{Imei15(Bound14)}&supi=imsi-{BoundImsi}", "WHITELISTED"),
            ($"pei=imei-{Imei15(Bound14)}&gpsi=msisdn-{BoundMsisdn}", "WHITELISTED"),
            ($"pei=imei-{Imei15(Null14)}&supi=imsi-{MappedImsi}", "WHITELISTED"),
            ($"pei=imei-{Imei15(Null14)}&supi=imsi-{HomeImsi}&gpsi=msisdn-{NullBoundMsisdn2}", "WHITELISTED"),
            // 6. Bound to someone else: grace (GREYLISTED); nobody to match: number switch required.
            ($"pei=imei-{Imei15(Bound14)}&supi=imsi-437010000000555", "GREYLISTED"),
            ($"pei=imei-{Imei15(Bound14)}&gpsi=msisdn-996700999999", "GREYLISTED"),
            ($"pei=imei-{Imei15(Bound14)}", "BLACKLISTED"),
            // 2. Stolen beats everything, roaming included.
            ($"pei=imei-{Imei15(Stolen14)}&supi=imsi-{BoundImsi}", "BLACKLISTED"),
            ($"pei=imei-{Imei15(Stolen14)}&supi=imsi-{RoamingImsi}", "BLACKLISTED"),
            // 3. Roaming: the IMSI decides, else the MSISDN.
            ($"pei=imei-{Imei15(Unknown14)}&supi=imsi-{RoamingImsi}", "WHITELISTED"),
            ($"pei=imei-{Imei15(Unknown14)}&gpsi=msisdn-79161234567", "WHITELISTED"),
            ($"pei=imei-{Imei15(Unknown14)}&supi=imsi-{HomeImsi}&gpsi=msisdn-79161234567", "BLACKLISTED"),
            // 8. Not registered: BLACKLISTED, not 404 (default Policy:UnknownEquipment).
            ($"pei=imei-{Imei15(Unknown14)}&supi=imsi-{HomeImsi}", "BLACKLISTED"),
            ($"pei=imei-{Imei15(Unknown14)}", "BLACKLISTED"),
        };
        var data = new TheoryData<H2Client, string, string>();
        foreach (var client in Enum.GetValues<H2Client>())
        {
            foreach (var (query, status) in cases)
            {
                data.Add(client, query, status);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public async Task GetEquipmentStatus_VerdictCases_200WithStatusPerDomainRules(H2Client client, string query, string status)
    {
        var r = await N5gEirCaller.GetAsync(client, _eir.Port, query);

        AssertValid(r);
        Assert.Equal((200, "application/json", "2"), (r.Status, r.ContentType, r.HttpVersion));
        Assert.Equal(status, r.EquipmentStatus);
    }

    public static TheoryData<H2Client, string, string, string> BadRequests()
    {
        var pei = $"pei=imei-{Imei15(Registered14)}";
        var cases = new (string Query, string Cause, string Param)[]
        {
            ("", "MANDATORY_QUERY_PARAM_MISSING", "query pei"),
            ($"supi=imsi-{BoundImsi}&gpsi=msisdn-{BoundMsisdn}", "MANDATORY_QUERY_PARAM_MISSING", "query pei"),
            ("pei=", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei=12345", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei=imei-49015420323751X", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei=imei-4901542032375180", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ($"pei=imeisv-{Imei15(Registered14)}", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei=imei-", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ("pei=IMEI-490154203237518", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ($"pei=imei-{Imei15(Registered14)}&pei=imei-{Imei15(Unknown14)}", "MANDATORY_QUERY_PARAM_INCORRECT", "query pei"),
            ($"{pei}&supi=imsi-4370", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&supi=imsi-4370100000000001", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&supi=imsi-43701x000000001", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&supi=", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&supi=msisdn-{BoundMsisdn}", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&supi=imsi-{BoundImsi}&supi=imsi-{HomeImsi}", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supi"),
            ($"{pei}&gpsi=msisdn-12", "OPTIONAL_QUERY_PARAM_INCORRECT", "query gpsi"),
            ($"{pei}&gpsi=msisdn-0996700111111", "OPTIONAL_QUERY_PARAM_INCORRECT", "query gpsi"),
            ($"{pei}&gpsi=msisdn-99670011111a", "OPTIONAL_QUERY_PARAM_INCORRECT", "query gpsi"),
            ($"{pei}&gpsi=", "OPTIONAL_QUERY_PARAM_INCORRECT", "query gpsi"),
            ($"{pei}&supported-features=xyz", "OPTIONAL_QUERY_PARAM_INCORRECT", "query supported-features"),
            ($"imei={Imei15(Registered14)}", "INVALID_QUERY_PARAM", "query imei"),
            ($"{pei}&PEI=imei-{Imei15(Registered14)}", "INVALID_QUERY_PARAM", "query PEI"),
            ($"{pei}&msisdn={BoundMsisdn}", "INVALID_QUERY_PARAM", "query msisdn"),
        };
        var data = new TheoryData<H2Client, string, string, string>();
        foreach (var client in Enum.GetValues<H2Client>())
        {
            foreach (var (query, cause, param) in cases)
            {
                data.Add(client, query, cause, param);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task GetEquipmentStatus_BadQuery_400ProblemNamingTheParameter(H2Client client, string query, string cause, string param)
    {
        var r = await N5gEirCaller.GetAsync(client, _eir.Port, query);

        AssertValid(r);
        Assert.Equal((400, "application/problem+json"), (r.Status, r.ContentType));
        Assert.Equal(cause, r.Cause);
        Assert.Equal([param], r.InvalidParams);
        Assert.Equal(400, r.Json.GetProperty("status").GetInt32());
        Assert.StartsWith(param["query ".Length..] + " ", r.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(H2Client.DotNet, "pei=mac-00-11-22-33-44-55", "query pei")]
    [InlineData(H2Client.Curl, "pei=mac-00-11-22-33-44-55-untrusted", "query pei")]
    [InlineData(H2Client.DotNet, "pei=eui-00-11-22-33-44-55-66-77", "query pei")]
    [InlineData(H2Client.Curl, "pei=imei-490154203237518&supi=nai-user@example.org", "query supi")]
    [InlineData(H2Client.DotNet, "pei=imei-490154203237518&supi=gci-000000@example.org", "query supi")]
    [InlineData(H2Client.Curl, "pei=imei-490154203237518&supi=gli-000000@example.org", "query supi")]
    [InlineData(H2Client.DotNet, "pei=imei-490154203237518&gpsi=extid-user@example.org", "query gpsi")]
    public async Task GetEquipmentStatus_UnsupportedIdentifierType_400SaysNotSupported(H2Client client, string query, string param)
    {
        var r = await N5gEirCaller.GetAsync(client, _eir.Port, query);

        AssertValid(r);
        Assert.Equal(400, r.Status);
        Assert.Equal([param], r.InvalidParams);
        Assert.Contains("not supported", r.Detail, StringComparison.Ordinal);
        Assert.Contains("not supported", r.Json.GetProperty("invalidParams")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(H2Client.DotNet, null, 401)]
    [InlineData(H2Client.Curl, null, 401)]
    [InlineData(H2Client.DotNet, "not-a-key", 401)]
    [InlineData(H2Client.Curl, TestNode.SyncKey, 403)]
    [InlineData(H2Client.DotNet, TestNode.SyncKey, 403)]
    [InlineData(H2Client.DotNet, TestNode.SelfServiceKey, 403)]
    public async Task GetEquipmentStatus_WithoutCheckRole_RefusedAsProblem(H2Client client, string? key, int status)
    {
        var r = await N5gEirCaller.GetAsync(client, _eir.Port, $"pei=imei-{Imei15(Registered14)}", key);

        AssertValid(r);
        Assert.Equal((status, "application/problem+json"), (r.Status, r.ContentType));
        Assert.Equal(status, r.Json.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task GetEquipmentStatus_KeyWithCheckAmongOtherRoles_200()
    {
        var r = await N5gEirCaller.GetAsync(H2Client.Curl, _eir.Port, $"pei=imei-{Imei15(Registered14)}", TestNode.AllKey);

        Assert.Equal((200, "WHITELISTED"), (r.Status, r.EquipmentStatus));
    }

    [Theory]
    [InlineData(H2Client.DotNet, null)]
    [InlineData(H2Client.Curl, null)]
    [InlineData(H2Client.Curl, TestNode.CheckKey)]
    public async Task GetEquipmentStatus_PathInOtherCase_NotServed(H2Client client, string? key)
    {
        // Routing matches paths case-insensitively; the guard decides on the matched endpoint, so another spelling
        // without a key is refused (401) and with a key is not served (404): never a verdict.
        var r = await N5gEirCaller.GetAsync(client, _eir.Port, $"pei=imei-{Imei15(Registered14)}", key, "/N5G-EIR-EIC/v1/equipment-status");

        Assert.Equal(key is null ? 401 : 404, r.Status);
        Assert.DoesNotContain("status\":\"", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetEquipmentStatus_OnAdminPort_NotServed()
    {
        using var http = new HttpClient();
        var r = await http.GetAsync($"http://127.0.0.1:{_eir.Node.AdminPort}{N5gEirCaller.Path}?pei=imei-{Imei15(Registered14)}");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, r.StatusCode);
    }

    [Fact]
    public async Task GetEquipmentStatus_SameGraceTwice_GreylistedBothTimes()
    {
        var query = $"pei=imeisv-{Bound14}07&supi=imsi-437010000000666";

        var first = await N5gEirCaller.GetAsync(H2Client.DotNet, _eir.Port, query);
        var again = await N5gEirCaller.GetAsync(H2Client.Curl, _eir.Port, query);

        Assert.Equal(("GREYLISTED", "GREYLISTED"), (first.EquipmentStatus, again.EquipmentStatus));
    }

    internal static void AssertValid(N5gResponse r)
    {
        var errors = OpenApiSpec.N5gEir.ValidateResponse("/equipment-status", "get", r.Status, r.ContentType, r.Body);
        Assert.True(errors.Count == 0, $"{r.Status} {r.ContentType} {r.Body}: " + string.Join("; ", errors));
    }
}
