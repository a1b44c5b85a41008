namespace ImeiEir.Server.Hosting;

/// <summary>
/// Each route answers only on its own Kestrel endpoint: admin routes (metrics, probes) on the Admin port, APIs on the
/// Grpc port, so the admin port can stay cleartext on loopback while the API port faces the network. Who may call an
/// API is decided after this by the authorization policies (<c>Security/</c>).
/// </summary>
internal sealed class EndpointGuard
{
    private readonly RequestDelegate _next;
    private readonly int _adminPort;
    private readonly int _apiPort;

    public EndpointGuard(RequestDelegate next, EndpointPorts ports)
    {
        _next = next;
        _adminPort = ports.Admin;
        _apiPort = ports.Api;
    }

    public static bool IsAdminPath(PathString path)
        => path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");

    public Task InvokeAsync(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        var admin = IsAdminPath(context.Request.Path);
        if ((admin && _adminPort != 0 && port != _adminPort) || (!admin && _adminPort != 0 && port == _adminPort && _adminPort != _apiPort))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return _next(context);
    }
}

/// <summary>The ports of the named Kestrel endpoints, read from configuration (0 when not configured).</summary>
internal sealed record EndpointPorts(int Api, int Admin)
{
    public static EndpointPorts From(IConfiguration config)
        => new(PortOf(config["Kestrel:Endpoints:Grpc:Url"]), PortOf(config["Kestrel:Endpoints:Admin:Url"]));

    private static int PortOf(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return 0;
        }

        var normalized = url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri) ? uri.Port : 0;
    }
}
