using System.Buffers;
using System.IO.Pipelines;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;

namespace ImeiEir.Server.N5gEir;

/// <summary>
/// TS 29.511 N5g-eir_EquipmentIdentityCheck, operation GetEquipmentStatus: <c>GET {apiRoot}/n5g-eir-eic/v1/equipment-status
/// ?pei=…&amp;supi=…&amp;gpsi=…</c> → 200 <c>{"status":"WHITELISTED"|"BLACKLISTED"|"GREYLISTED"}</c>. A thin adapter
/// like the gRPC services: query → parse → <see cref="EquipmentChecker"/> → answer. Choices where the spec leaves
/// room are in <c>docs/n5g-eir.md</c>.
/// </summary>
public static class N5gEirEndpoints
{
    /// <summary>The resource path (API name, version and resource of TS 29.511).</summary>
    public const string EquipmentStatusPath = "/n5g-eir-eic/v1/equipment-status";

    /// <summary>Maps GetEquipmentStatus. Who may call it (role <c>check</c>) is the host's to say on the builder returned.</summary>
    public static IEndpointConventionBuilder MapN5gEirEquipmentIdentityCheck(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ServiceProvider;
        var endpoint = new EquipmentStatusEndpoint(services.GetRequiredService<EquipmentChecker>(), services.GetRequiredService<EirMetrics>());
        return app.MapGet(EquipmentStatusPath, (RequestDelegate)endpoint.HandleAsync).WithDisplayName("N5g-eir GetEquipmentStatus");
    }
}

/// <summary>
/// The request handler. A verdict costs no allocation: the query is read as spans over the request's own string,
/// the check is the core's allocation-free path, and every answer that does not depend on the input (the three
/// statuses, 404 unknown, 503 not ready) is serialized once here and written as bytes. Only errors that name the
/// caller's mistake build a body per request.
/// </summary>
internal sealed class EquipmentStatusEndpoint
{
    public const string JsonContentType = "application/json";
    public const string ProblemContentType = "application/problem+json";

    /// <summary>Seconds a 503 asks the caller to wait (Retry-After). Loading a national data set takes seconds to a minute.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// Seconds a 429 (the node is shedding load) asks the caller to wait before sending this node more (Retry-After):
    /// the smallest HTTP can say, since shedding lasts as long as the burst; the AMF meanwhile uses another EIR.
    /// </summary>
    public const int OverloadRetryAfterSeconds = 1;

    /// <summary>Percent-encoded queries up to this length are decoded on the stack; longer ones use a pooled buffer.</summary>
    private const int StackScratchChars = 512;

    private static readonly byte[] Whitelisted = N5gEirJsonContext.Utf8(new EirResponseData(N5gEquipmentStatus.Whitelisted));
    private static readonly byte[] Blacklisted = N5gEirJsonContext.Utf8(new EirResponseData(N5gEquipmentStatus.Blacklisted));
    private static readonly byte[] Greylisted = N5gEirJsonContext.Utf8(new EirResponseData(N5gEquipmentStatus.Greylisted));

    private static readonly byte[] UnknownEquipment = N5gEirJsonContext.Utf8(new ProblemDetails
    {
        Title = "Not Found",
        Status = StatusCodes.Status404NotFound,
        Detail = "the equipment is unknown to the EIR (neither registered nor bound to a subscriber)",
        Cause = Causes.ErrorEquipmentUnknown,
    });

    private static readonly byte[] NotReady = N5gEirJsonContext.Utf8(new ProblemDetails
    {
        Title = "Service Unavailable",
        Status = StatusCodes.Status503ServiceUnavailable,
        Detail = "the EIR node has not loaded its data yet; retry later or use another EIR instance",
        Cause = Causes.NfCongestion,
    });

    private static readonly byte[] Overloaded = N5gEirJsonContext.Utf8(new ProblemDetails
    {
        Title = "Too Many Requests",
        Status = StatusCodes.Status429TooManyRequests,
        Detail = "the EIR node is overloaded and did not check the equipment; retry after Retry-After or use another EIR instance",
        Cause = Causes.NfCongestionRisk,
    });

    private static readonly string OverloadRetryAfter = OverloadRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    private static readonly string RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private readonly EquipmentChecker _checker;
    private readonly EirMetrics _metrics;

    public EquipmentStatusEndpoint(EquipmentChecker checker, EirMetrics metrics)
    {
        _checker = checker;
        _metrics = metrics;
    }

    public Task HandleAsync(HttpContext context)
    {
        var response = context.Response;

        // Routing matches paths case-insensitively, but the guard in front of it grants roles by the exact
        // (ordinal) path: any other spelling could have skipped authentication, so it is not served.
        if (!string.Equals(context.Request.Path.Value, N5gEirEndpoints.EquipmentStatusPath, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        // Never a verdict from an index that is not loaded: BLACKLISTED from empty data would block every device.
        if (!_checker.IsReady)
        {
            response.Headers.RetryAfter = RetryAfter;
            return WriteAsync(response, StatusCodes.Status503ServiceUnavailable, ProblemContentType, NotReady);
        }

        var answer = Decide(context.Request.QueryString.Value);
        return answer.Problem is { } problem
            ? WriteAsync(response, problem.Status ?? StatusCodes.Status400BadRequest, ProblemContentType, N5gEirJsonContext.Utf8(problem))
            : answer.Status switch
            {
                EquipmentStatus.Whitelisted => WriteAsync(response, StatusCodes.Status200OK, JsonContentType, Whitelisted),
                EquipmentStatus.Blacklisted => WriteAsync(response, StatusCodes.Status200OK, JsonContentType, Blacklisted),
                EquipmentStatus.Greylisted => WriteAsync(response, StatusCodes.Status200OK, JsonContentType, Greylisted),
                _ => WriteAsync(response, StatusCodes.Status404NotFound, ProblemContentType, UnknownEquipment),
            };
    }

    /// <summary>429 <c>NF_CONGESTION_RISK</c> with Retry-After, from fixed bytes: the answer to a request the overload gate refuses.</summary>
    internal static Task WriteOverloadedAsync(HttpResponse response)
    {
        response.Headers.RetryAfter = OverloadRetryAfter;
        return WriteAsync(response, StatusCodes.Status429TooManyRequests, ProblemContentType, Overloaded);
    }

    /// <summary>
    /// The answer to a query string (synchronous; no allocation unless the answer is an error naming a parameter).
    /// <see cref="Answer.Status"/> <see cref="EquipmentStatus.Unspecified"/> without a problem means 404 unknown equipment.
    /// </summary>
    internal Answer Decide(ReadOnlySpan<char> query)
    {
        char[]? rented = null;
        Span<char> scratch = query.Contains('%')
            ? query.Length <= StackScratchChars ? stackalloc char[StackScratchChars] : (rented = ArrayPool<char>.Shared.Rent(query.Length))
            : default;
        try
        {
            return Decide(EquipmentStatusQuery.Parse(query, scratch));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private Answer Decide(EquipmentStatusQuery q)
    {
        switch (q.Error)
        {
            case QueryError.UnknownParameter:
                return Answer.Bad(
                    Causes.InvalidQueryParam,
                    q.UnknownName.ToString(),
                    "is not a query parameter of GetEquipmentStatus (TS 29.511 defines pei, supi, gpsi and supported-features)");
            case QueryError.Duplicate:
                return Answer.Bad(IncorrectCause(q.Duplicate), NameOf(q.Duplicate), "is given more than once");
        }

        if ((q.Present & QueryParameter.Pei) == 0)
        {
            return Answer.Bad(Causes.MandatoryQueryParamMissing, "pei", "is required: imei-<15 digits> or imeisv-<16 digits>");
        }

        if (q.Pei.IsEmpty)
        {
            return Answer.Bad(Causes.MandatoryQueryParamIncorrect, "pei", ParseStatusText.DescribeImei(ParseStatus.Empty));
        }

        if ((q.Present & QueryParameter.Supi) != 0)
        {
            if (q.Supi.IsEmpty)
            {
                return Answer.Bad(Causes.OptionalQueryParamIncorrect, "supi", "is empty");
            }

            if (q.Supi.StartsWith("nai-") || q.Supi.StartsWith("gci-") || q.Supi.StartsWith("gli-"))
            {
                return Answer.Bad(
                    Causes.OptionalQueryParamIncorrect,
                    "supi",
                    "is a SUPI of type " + q.Supi[..3].ToString() + ", which is not supported: only imsi-<5 to 15 digits>");
            }
        }

        if ((q.Present & QueryParameter.Gpsi) != 0)
        {
            if (q.Gpsi.IsEmpty)
            {
                return Answer.Bad(Causes.OptionalQueryParamIncorrect, "gpsi", "is empty");
            }

            if (q.Gpsi.StartsWith("extid-"))
            {
                return Answer.Bad(Causes.OptionalQueryParamIncorrect, "gpsi", "is an External Identifier (extid-), which is not supported: only msisdn-<digits>");
            }
        }

        if (q.SupportedFeatures.ContainsAnyExcept(HexDigits))
        {
            return Answer.Bad(Causes.OptionalQueryParamIncorrect, "supported-features", "must be hexadecimal digits (TS 29.571 SupportedFeatures)");
        }

        var started = _metrics.Start();
        var result = _checker.Check(q.Pei, q.Gpsi, q.Supi, CheckInterface.N5gEir);
        _metrics.Checked(in result, started);
        if (!result.IsValid)
        {
            return result.InvalidField switch
            {
                CheckField.Imei => Answer.Bad(Causes.MandatoryQueryParamIncorrect, "pei", ParseStatusText.DescribeImei(result.InvalidStatus)),
                CheckField.Msisdn => Answer.Bad(Causes.OptionalQueryParamIncorrect, "gpsi", ParseStatusText.DescribeMsisdn(result.InvalidStatus)),
                _ => Answer.Bad(Causes.OptionalQueryParamIncorrect, "supi", ParseStatusText.DescribeImsi(result.InvalidStatus)),
            };
        }

        var decision = result.Decision;
        return decision.IsUnknownEquipment && _checker.Options.UnknownEquipment == UnknownEquipmentMode.Unknown
            ? default
            : new Answer(decision.Status, null);
    }

    private static string IncorrectCause(QueryParameter p)
        => p == QueryParameter.Pei ? Causes.MandatoryQueryParamIncorrect : Causes.OptionalQueryParamIncorrect;

    private static string NameOf(QueryParameter p) => p switch
    {
        QueryParameter.Pei => "pei",
        QueryParameter.Supi => "supi",
        QueryParameter.Gpsi => "gpsi",
        _ => "supported-features",
    };

    private static Task WriteAsync(HttpResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return WriteBodyAsync(response.BodyWriter, body);
    }

    // An async method that completes synchronously returns a cached Task: the usual small write costs nothing.
    private static async Task WriteBodyAsync(PipeWriter writer, byte[] body) => await writer.WriteAsync(body).ConfigureAwait(false);

    /// <summary>A status to answer with, or the problem to answer instead (both default: 404 unknown equipment).</summary>
    internal readonly record struct Answer(EquipmentStatus Status, ProblemDetails? Problem)
    {
        public static Answer Bad(string cause, string parameter, string reason) => new(EquipmentStatus.Unspecified, new ProblemDetails
        {
            Title = "Bad Request",
            Status = StatusCodes.Status400BadRequest,
            Detail = parameter + " " + reason,
            Cause = cause,
            InvalidParams = [new InvalidParam("query " + parameter, reason)],
        });
    }
}

/// <summary>The 3GPP application error causes this API answers with (TS 29.500 table 5.2.7.2-1, TS 29.511 table 6.1.7.3-1).</summary>
internal static class Causes
{
    /// <summary>400: a mandatory query parameter is absent.</summary>
    public const string MandatoryQueryParamMissing = "MANDATORY_QUERY_PARAM_MISSING";

    /// <summary>400: a mandatory query parameter has a semantically incorrect value.</summary>
    public const string MandatoryQueryParamIncorrect = "MANDATORY_QUERY_PARAM_INCORRECT";

    /// <summary>400: an optional query parameter has a semantically incorrect value.</summary>
    public const string OptionalQueryParamIncorrect = "OPTIONAL_QUERY_PARAM_INCORRECT";

    /// <summary>400: the URI carries a query parameter the API does not support.</summary>
    public const string InvalidQueryParam = "INVALID_QUERY_PARAM";

    /// <summary>404: the equipment is unknown (TS 29.511).</summary>
    public const string ErrorEquipmentUnknown = "ERROR_EQUIPMENT_UNKNOWN";

    /// <summary>429: excessive traffic which, if it went on, would overload the NF (TS 29.500 table 5.2.7.2-1).</summary>
    public const string NfCongestionRisk = "NF_CONGESTION_RISK";

    /// <summary>503: the NF cannot serve the request now (the only 503 cause of TS 29.500).</summary>
    public const string NfCongestion = "NF_CONGESTION";
}
