using System.Text.Json;
using System.Text.Json.Nodes;
using ImeiEir.Server.Nrf;
using ImeiEir.Server.Tests.N5gEir;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>The NFProfile the node registers: every field the issue lists, and valid against TS 29.510's schema.</summary>
public sealed class NfProfileBuilderTests
{
    private static readonly OpenApiSpec Spec = OpenApiSpec.NfManagement;

    private static NrfOptions Options(string advertised, Action<NrfOptions>? more = null)
    {
        var o = new NrfOptions
        {
            Uri = "https://nrf.5gc.mnc001.mcc437.3gppnetwork.org",
            NfInstanceId = "4947A69A-F61B-4BC1-B9DA-47C9C5D14B64",
            AdvertisedUri = advertised,
            PlmnList = [new NrfPlmnOptions { Mcc = "437", Mnc = "01" }, new NrfPlmnOptions { Mcc = "437", Mnc = "509" }],
            HeartBeatTimer = 15,
        };
        more?.Invoke(o);
        return o;
    }

    private static void AssertValid(JsonObject profile)
    {
        using var document = JsonDocument.Parse(profile.ToJsonString());
        var errors = Spec.ValidateSchema(OpenApiSpec.NfManagementFile, "NFProfile", document.RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + profile.ToJsonString());
    }

    [Fact]
    public void Build_Ipv4AdvertisedUri_EveryFieldOfTheIssueAndValid()
    {
        var profile = NfProfileBuilder.Build(Options("https://10.0.0.5:8443"), NfStatus.Registered);

        AssertValid(profile);
        Assert.Equal("4947a69a-f61b-4bc1-b9da-47c9c5d14b64", (string?)profile["nfInstanceId"]);
        Assert.Equal("5G_EIR", (string?)profile["nfType"]);
        Assert.Equal("REGISTERED", (string?)profile["nfStatus"]);
        Assert.Equal(15, (int?)profile["heartBeatTimer"]);
        Assert.Equal("""[{"mcc":"437","mnc":"01"},{"mcc":"437","mnc":"509"}]""", profile["plmnList"]!.ToJsonString());
        Assert.Equal("""["10.0.0.5"]""", profile["ipv4Addresses"]!.ToJsonString());
        Assert.Null(profile["fqdn"]);
        Assert.Null(profile["ipv6Addresses"]);

        var service = Assert.Single(profile["nfServices"]!.AsArray())!.AsObject();
        Assert.Equal(NfProfileBuilder.ServiceInstanceId, (string?)service["serviceInstanceId"]);
        Assert.Equal("n5g-eir-eic", (string?)service["serviceName"]);
        Assert.Equal("v1", (string?)service["versions"]![0]!["apiVersionInUri"]);
        Assert.Equal("https", (string?)service["scheme"]);
        Assert.Equal("REGISTERED", (string?)service["nfServiceStatus"]);
        Assert.Equal("""[{"ipv4Address":"10.0.0.5","transport":"TCP","port":8443}]""", service["ipEndPoints"]!.ToJsonString());
        Assert.Null(service["apiPrefix"]);

        // The Release 16+ map carries the same service under its serviceInstanceId.
        Assert.Equal(service.ToJsonString(), profile["nfServiceList"]![NfProfileBuilder.ServiceInstanceId]!.ToJsonString());
    }

    [Fact]
    public void Build_ApiFullVersion_IsTheVersionOfTheTs29511File()
        => Assert.Equal(NfProfileBuilder.ApiFullVersion, Spec.VersionOf(OpenApiSpec.N5gEirFile));

    [Fact]
    public void Build_Ipv6AdvertisedUri_Ipv6AddressesAndEndpointValid()
    {
        var profile = NfProfileBuilder.Build(Options("http://[2001:DB8:0:0::5]:5080"), NfStatus.Registered);

        AssertValid(profile);
        Assert.Equal("""["2001:db8::5"]""", profile["ipv6Addresses"]!.ToJsonString());
        Assert.Null(profile["ipv4Addresses"]);
        var service = profile["nfServices"]![0]!;
        Assert.Equal("http", (string?)service["scheme"]);
        Assert.Equal("""[{"ipv6Address":"2001:db8::5","transport":"TCP","port":5080}]""", service["ipEndPoints"]!.ToJsonString());
    }

    [Fact]
    public void Build_FqdnAdvertisedUriWithoutPortAndWithPath_FqdnDefaultPortAndApiPrefix()
    {
        var profile = NfProfileBuilder.Build(Options("https://EIR1.5gc.mnc001.mcc437.3gppnetwork.org/eir/"), NfStatus.Registered);

        AssertValid(profile);
        Assert.Equal("eir1.5gc.mnc001.mcc437.3gppnetwork.org", (string?)profile["fqdn"]);
        Assert.Null(profile["ipv4Addresses"]);
        var service = profile["nfServices"]![0]!;
        Assert.Equal("eir1.5gc.mnc001.mcc437.3gppnetwork.org", (string?)service["fqdn"]);
        Assert.Equal("""[{"transport":"TCP","port":443}]""", service["ipEndPoints"]!.ToJsonString());
        Assert.Equal("/eir", (string?)service["apiPrefix"]);
    }

    [Fact]
    public void Build_OptionalSettings_PriorityCapacityOrNoPlmnList()
    {
        var profile = NfProfileBuilder.Build(Options("http://192.0.2.7", o =>
        {
            o.PlmnList = [];
            o.Priority = 1;
            o.Capacity = 100;
        }), NfStatus.Suspended);

        AssertValid(profile);
        Assert.Null(profile["plmnList"]);
        Assert.Equal(1, (int?)profile["priority"]);
        Assert.Equal(100, (int?)profile["capacity"]);
        Assert.Equal("SUSPENDED", (string?)profile["nfStatus"]);
        Assert.Equal(80, (int?)profile["nfServices"]![0]!["ipEndPoints"]![0]!["port"]);
    }

    [Fact]
    public void Build_TheSchemaCatchesAWrongProfile_ValidatorIsNotBlind()
    {
        var profile = NfProfileBuilder.Build(Options("https://10.0.0.5:8443"), NfStatus.Registered);
        profile["heartBeatTimer"] = 0;
        profile["plmnList"]![0]!["mnc"] = "1";
        profile.Remove("ipv4Addresses");
        profile["nfServices"]![0]!.AsObject().Remove("scheme");

        using var document = JsonDocument.Parse(profile.ToJsonString());
        var errors = Spec.ValidateSchema(OpenApiSpec.NfManagementFile, "NFProfile", document.RootElement);

        Assert.Contains(errors, e => e.Contains("heartBeatTimer", StringComparison.Ordinal) && e.Contains("minimum", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("mnc", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("anyOf", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'scheme'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("REGISTERED")]
    [InlineData("SUSPENDED")]
    public void StatusPatch_Status_JsonPatchReplacingNfStatusValidAgainstThePatchOperation(string status)
    {
        var patch = NfProfileBuilder.StatusPatch(status).ToJsonString();

        Assert.Equal($$"""[{"op":"replace","path":"/nfStatus","value":"{{status}}"}]""", patch);
        Assert.Empty(Spec.ValidateRequest(OpenApiSpec.NfManagementFile, "/nf-instances/{nfInstanceID}", "patch", "application/json-patch+json", patch));
    }
}
