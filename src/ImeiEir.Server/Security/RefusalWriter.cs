using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Primitives;

namespace ImeiEir.Server.Security;

/// <summary>
/// How a refused request is answered, in the caller's protocol: gRPC calls get a trailers-only answer with
/// UNAUTHENTICATED (16) or PERMISSION_DENIED (7); HTTP (N5g-eir) gets 401 or 403 with a ProblemDetails body (TS 29.500)
/// and an RFC 6750 <c>WWW-Authenticate</c>: <c>error="invalid_token"</c> for a bad NRF token,
/// <c>error="insufficient_scope"</c> for a good one without the service's scope. The texts say what was missing,
/// never the credential itself.
/// </summary>
internal sealed class RefusalWriter : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            return next(context);
        }

        var token = EndpointCredentials.CarriesNrfToken(context);
        if (authorizeResult.Challenged)
        {
            return Refuse(
                context,
                grpcStatus: 16,
                StatusCodes.Status401Unauthorized,
                token ? "invalid access token (signature, issuer, audience or expiry)" : "missing or unknown credential (authorization: Bearer <key>, or a client certificate)",
                token ? "Bearer error=\"invalid_token\"" : "Bearer");
        }

        var role = policy.Requirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>()
            .SelectMany(r => r.AllowedRoles).FirstOrDefault() ?? "?";
        var who = context.User.Identity?.Name ?? "?";
        return token
            ? Refuse(context, 7, StatusCodes.Status403Forbidden, $"the access token's scope lacks '{NrfTokenSetup.Scope}'",
                $"Bearer error=\"insufficient_scope\", scope=\"{NrfTokenSetup.Scope}\"")
            : Refuse(context, 7, StatusCodes.Status403Forbidden, $"client '{who}' lacks the '{role}' role", null);
    }

    private static Task Refuse(HttpContext context, int grpcStatus, int httpStatus, string message, string? challenge)
    {
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // gRPC "trailers-only" answer: HTTP 200 with the status in the headers.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = new StringValues(grpcStatus.ToString(CultureInfo.InvariantCulture));
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = httpStatus;
        if (challenge is not null)
        {
            response.Headers.WWWAuthenticate = challenge;
        }

        return response.WriteAsJsonAsync(
            new { type = "about:blank", title = httpStatus == 401 ? "Unauthorized" : "Forbidden", status = httpStatus, detail = message },
            options: null,
            contentType: "application/problem+json");
    }
}
