using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>Which HTTP/2 client calls the API: .NET's own, or curl (an independent HTTP/2 stack, nghttp2).</summary>
public enum H2Client
{
    DotNet,
    Curl,
}

/// <summary>One answer of GET /equipment-status as a client saw it.</summary>
public sealed record N5gResponse(int Status, string? ContentType, string Body, string? RetryAfter, string HttpVersion)
{
    /// <summary>The body as JSON (throws when it is not).</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>EirResponseData.status, for a 200.</summary>
    public string? EquipmentStatus => Json.GetProperty("status").GetString();

    /// <summary>ProblemDetails.cause, for an error.</summary>
    public string? Cause => Json.TryGetProperty("cause", out var c) ? c.GetString() : null;

    /// <summary>ProblemDetails.invalidParams[*].param.</summary>
    public IReadOnlyList<string?> InvalidParams
        => Json.TryGetProperty("invalidParams", out var p) ? p.EnumerateArray().Select(i => i.GetProperty("param").GetString()).ToList() : [];

    public string? Detail => Json.TryGetProperty("detail", out var d) ? d.GetString() : null;
}

/// <summary>
/// Calls N5g-eir GetEquipmentStatus on a node's HTTP/2 (cleartext, prior knowledge) endpoint, with either client.
/// Every call is bounded (curl --max-time, HttpClient timeout) so a server bug fails instead of hanging; nothing is
/// asserted about time.
/// </summary>
public static class N5gEirCaller
{
    public const string Path = "/n5g-eir-eic/v1/equipment-status";

    // HTTP/2 with prior knowledge over cleartext (http:// with version 2.0 exactly): no upgrade, no fallback to 1.1.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static Task<N5gResponse> GetAsync(H2Client client, int port, string query, string? key = TestNode.CheckKey, string path = Path)
    {
        var url = $"http://127.0.0.1:{port}{path}{(query.Length == 0 ? "" : "?" + query)}";
        return client == H2Client.Curl ? CurlAsync(url, key) : DotNetAsync(url, key);
    }

    private static async Task<N5gResponse> DotNetAsync(string url, string? key)
    {
        // A request built here does not take the client's defaults: version and policy are set on it.
        using var request = new HttpRequestMessage(HttpMethod.Get, url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? ((int)delta.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new N5gResponse(
            (int)response.StatusCode,
            response.Content.Headers.ContentType?.ToString(),
            body,
            retryAfter,
            response.Version.ToString(response.Version.Minor == 0 ? 1 : 2));
    }

    private static async Task<N5gResponse> CurlAsync(string url, string? key)
    {
        var bodyFile = System.IO.Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo(File.Exists("/usr/bin/curl") ? "/usr/bin/curl" : "curl")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--http2-prior-knowledge", "--silent", "--show-error", "--max-time", "30", "--globoff", "--output", bodyFile })
            {
                psi.ArgumentList.Add(a);
            }

            psi.ArgumentList.Add("--write-out");
            psi.ArgumentList.Add("%{http_code}\n%{content_type}\n%header{retry-after}\n%{http_version}");
            if (key is not null)
            {
                psi.ArgumentList.Add("--header");
                psi.ArgumentList.Add("Authorization: Bearer " + key);
            }

            psi.ArgumentList.Add(url);
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("curl did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"curl exited {process.ExitCode}: {await stderr}");
            }

            var lines = (await stdout).Split('\n');
            return new N5gResponse(
                int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture),
                lines[1].Length == 0 ? null : lines[1],
                await File.ReadAllTextAsync(bodyFile),
                lines[2].Length == 0 ? null : lines[2],
                lines[3]);
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }
}
