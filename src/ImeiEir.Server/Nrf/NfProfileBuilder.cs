using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// Builds this node's TS 29.510 NFProfile from <see cref="NrfOptions"/>: pure, no I/O. One service,
/// <c>n5g-eir-eic</c> v1 (TS 29.511), listed both in <c>nfServices</c> (the array every NRF release reads, deprecated
/// since Release 16) and in <c>nfServiceList</c> (the map by <c>serviceInstanceId</c> that replaces it), with the
/// same content, so an NRF of either generation sees it.
/// </summary>
internal static class NfProfileBuilder
{
    public const string NfType = "5G_EIR";
    public const string ServiceName = "n5g-eir-eic";

    /// <summary>Unique within this NF instance (TS 29.510); the node has one instance of its one service.</summary>
    public const string ServiceInstanceId = "n5g-eir-eic-1";

    public const string ApiVersionInUri = "v1";

    /// <summary>The version of the TS 29.511 OpenAPI file the N5g-eir endpoint implements (Release 18, V18.0.0).</summary>
    public const string ApiFullVersion = "1.3.0-alpha.1";

    /// <summary>The profile for a registration (PUT) with <paramref name="nfStatus"/> (<see cref="NfStatus"/>).</summary>
    /// <exception cref="ArgumentException">The options do not pass <see cref="NrfOptionsValidator"/>.</exception>
    public static JsonObject Build(NrfOptions options, string nfStatus)
    {
        var endpoint = AdvertisedEndpoint.TryParse(options.AdvertisedUri, out var error) ?? throw new ArgumentException(error, nameof(options));
        var profile = new JsonObject
        {
            ["nfInstanceId"] = NormalizedInstanceId(options),
            ["nfType"] = NfType,
            ["nfStatus"] = nfStatus,
            ["heartBeatTimer"] = options.HeartBeatTimer,
        };

        if (options.PlmnList.Count != 0)
        {
            profile["plmnList"] = new JsonArray([.. options.PlmnList.Select(p => (JsonNode)new JsonObject { ["mcc"] = p.Mcc, ["mnc"] = p.Mnc })]);
        }

        var ipEndPoint = new JsonObject();
        if (endpoint.Address is { } address)
        {
            var ipv4 = address.AddressFamily == AddressFamily.InterNetwork;
            profile[ipv4 ? "ipv4Addresses" : "ipv6Addresses"] = new JsonArray(address.ToString());
            ipEndPoint[ipv4 ? "ipv4Address" : "ipv6Address"] = address.ToString();
        }
        else
        {
            profile["fqdn"] = endpoint.Fqdn;
        }

        ipEndPoint["transport"] = "TCP";
        ipEndPoint["port"] = endpoint.Port;

        if (options.Priority is { } priority)
        {
            profile["priority"] = priority;
        }

        if (options.Capacity is { } capacity)
        {
            profile["capacity"] = capacity;
        }

        var service = new JsonObject
        {
            ["serviceInstanceId"] = ServiceInstanceId,
            ["serviceName"] = ServiceName,
            ["versions"] = new JsonArray(new JsonObject { ["apiVersionInUri"] = ApiVersionInUri, ["apiFullVersion"] = ApiFullVersion }),
            ["scheme"] = endpoint.Scheme,
            ["nfServiceStatus"] = NfStatus.Registered,
        };
        if (endpoint.Fqdn is { } fqdn)
        {
            service["fqdn"] = fqdn;
        }

        service["ipEndPoints"] = new JsonArray(ipEndPoint);
        if (endpoint.ApiPrefix is { } prefix)
        {
            service["apiPrefix"] = prefix;
        }

        profile["nfServices"] = new JsonArray(service.DeepClone());
        profile["nfServiceList"] = new JsonObject { [ServiceInstanceId] = service };
        return profile;
    }

    /// <summary>The JSON Patch (RFC 6902) that sets the NF instance's status: a heartbeat, a suspension or a resumption.</summary>
    public static JsonArray StatusPatch(string nfStatus)
        => new(new JsonObject { ["op"] = "replace", ["path"] = "/nfStatus", ["value"] = nfStatus });

    /// <summary><see cref="NrfOptions.NfInstanceId"/> in the canonical lower-case form (RFC 4122 §3).</summary>
    public static string NormalizedInstanceId(NrfOptions options) => Guid.Parse(options.NfInstanceId).ToString("D");
}
