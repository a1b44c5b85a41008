using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Primitives;

namespace ImeiEir.Server.Hosting;

/// <summary>
/// One middleware between routing and the endpoints: each route answers only on its own Kestrel endpoint (Admin
/// routes on the Admin port, APIs on the Grpc port), and API calls need a key with the role of the endpoint routing
/// chose. Health and reflection answer without a key (load balancers and tools probe them).
/// </summary>
internal sealed class EndpointGuard
{
    private readonly RequestDelegate _next;
    private readonly ApiKeyAuthenticator _auth;
    private readonly int _adminPort;
    private readonly int _apiPort;

    public EndpointGuard(RequestDelegate next, ApiKeyAuthenticator auth, EndpointPorts ports)
    {
        _next = next;
        _auth = auth;
        _adminPort = ports.Admin;
        _apiPort = ports.Api;
    }

    public static bool IsAdminPath(PathString path)
        => path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");

    /// <summary>
    /// The role an endpoint needs, from the endpoint routing matched (not from the raw path: routing matches paths
    /// case-insensitively, so a string comparison on the path could be bypassed with another spelling).
    /// </summary>
    public static string? RoleFor(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        if (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc)
        {
            return grpc.Method.ServiceName switch
            {
                "imeieir.v1.EquipmentCheck" => Roles.Check,
                "imeieir.v1.SelfService" => Roles.SelfService,
                "imeieir.v1.RegistrySync" => Roles.Sync,
                _ => null, // health, reflection: open to probes and tools
            };
        }

        return endpoint is RouteEndpoint route && route.RoutePattern.RawText?.StartsWith("/n5g-eir-eic/", StringComparison.OrdinalIgnoreCase) == true
            ? Roles.Check
            : null;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        var admin = IsAdminPath(context.Request.Path);
        if ((admin && _adminPort != 0 && port != _adminPort) || (!admin && _adminPort != 0 && port == _adminPort && _adminPort != _apiPort))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (!_auth.Enabled || admin)
        {
            return _next(context);
        }

        var role = RoleFor(context.GetEndpoint());
        if (role is null)
        {
            return _next(context);
        }

        var client = _auth.Authenticate(context.Request.Headers.Authorization);
        if (client < 0)
        {
            return Refuse(context, grpcStatus: 16, httpStatus: StatusCodes.Status401Unauthorized, "missing or unknown API key (authorization: Bearer <key>)");
        }

        return _auth.HasRole(client, role)
            ? _next(context)
            : Refuse(context, grpcStatus: 7, httpStatus: StatusCodes.Status403Forbidden, $"client '{_auth.NameOf(client)}' lacks the '{role}' role");
    }

    private static Task Refuse(HttpContext context, int grpcStatus, int httpStatus, string message)
    {
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // gRPC "trailers-only" answer: HTTP 200 with the status in the headers.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = new StringValues(grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = httpStatus;
        if (httpStatus == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return response.WriteAsJsonAsync(
            new { type = "about:blank", title = httpStatus == 401 ? "Unauthorized" : "Forbidden", status = httpStatus, detail = message },
            options: null,
            contentType: "application/problem+json");
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
