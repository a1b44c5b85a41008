using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// The three Nnrf_NFManagement operations this node uses on its own NF instance resource,
/// <c>{Nrf:Uri}/nnrf-nfm/v1/nf-instances/{nfInstanceId}</c>: NFRegister (PUT), NFUpdate (PATCH of <c>/nfStatus</c>, which
/// is also the heartbeat) and NFDeregister (DELETE). Always HTTP/2 (TS 29.500 §5.2.2): negotiated with ALPN over
/// https, with prior knowledge (h2c) over http; an NRF that speaks only HTTP/1.1 fails with a logged error. Network
/// failures throw (<see cref="HttpRequestException"/>, or <see cref="TaskCanceledException"/> on timeout); every
/// HTTP answer comes back as an <see cref="NrfAnswer"/>.
/// </summary>
internal sealed class NrfClient
{
    /// <summary>The IHttpClientFactory name of the client (its handler: <see cref="NrfTls.CreateHandler"/>).</summary>
    public const string HttpClientName = "ImeiEir.Nrf";

    public const string JsonMediaType = "application/json";
    public const string JsonPatchMediaType = "application/json-patch+json";

    private readonly IHttpClientFactory _factory;

    public NrfClient(IHttpClientFactory factory, IOptions<NrfOptions> options)
    {
        _factory = factory;
        var o = options.Value;
        InstanceUri = new Uri($"{o.Uri.Trim().TrimEnd('/')}/nnrf-nfm/v1/nf-instances/{NfProfileBuilder.NormalizedInstanceId(o)}");
    }

    /// <summary>This NF instance's resource at the NRF.</summary>
    public Uri InstanceUri { get; }

    /// <summary>NFRegister: PUT of the whole profile. 201 (created) or 200 (replaced), body the profile the NRF stored.</summary>
    public Task<NrfAnswer> RegisterAsync(JsonObject profile, CancellationToken ct)
        => SendAsync(HttpMethod.Put, Body(profile, JsonMediaType), ct);

    /// <summary>NFUpdate with one JSON Patch replace of <c>/nfStatus</c>: a heartbeat, a suspension or a resumption. 204 or 200 (profile).</summary>
    public Task<NrfAnswer> PatchStatusAsync(string nfStatus, CancellationToken ct)
        => SendAsync(HttpMethod.Patch, Body(NfProfileBuilder.StatusPatch(nfStatus), JsonPatchMediaType), ct);

    /// <summary>NFDeregister: DELETE. 204.</summary>
    public Task<NrfAnswer> DeregisterAsync(CancellationToken ct) => SendAsync(HttpMethod.Delete, null, ct);

    private async Task<NrfAnswer> SendAsync(HttpMethod method, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, InstanceUri)
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));

        // A client per call: the factory pools and recycles the handlers (DNS changes, renewed certificates).
        using var client = _factory.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return NrfAnswer.From((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    private static ByteArrayContent Body(JsonNode node, string mediaType)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }
}
