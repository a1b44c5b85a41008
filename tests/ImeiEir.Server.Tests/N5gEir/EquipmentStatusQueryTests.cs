using ImeiEir.Core.Policy;
using ImeiEir.Server.Hosting;
using ImeiEir.Server.N5gEir;
using Microsoft.Extensions.DependencyInjection;
using static ImeiEir.Server.Tests.N5gEir.Ids;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>The query reader on its own: splitting, percent-decoding, duplicates and unknown names.</summary>
public sealed class EquipmentStatusQueryTests
{
    [Theory]
    [InlineData("?pei=imei-1&supi=imsi-2&gpsi=msisdn-3", "imei-1", "imsi-2", "msisdn-3")]
    [InlineData("pei=imei-1", "imei-1", null, null)]
    [InlineData("?&&pei=imei-1&&gpsi=msisdn-3&", "imei-1", null, "msisdn-3")]
    [InlineData("?pei=imei%2D1&supi=%69msi-2", "imei-1", "imsi-2", null)]
    [InlineData("?pei=imei-1&gpsi=%2B996700111111", "imei-1", null, "+996700111111")]
    [InlineData("?pei=imei-1&gpsi=+996700111111", "imei-1", null, "+996700111111")]
    [InlineData("?pei=imei-%1&supi=%zz", "imei-%1", "%zz", null)]
    [InlineData("?pei=%", "%", null, null)]
    [InlineData("?p%65i=imei-1", "imei-1", null, null)]
    [InlineData("?pei=imei-1&supi=", "imei-1", "", null)]
    [InlineData("?pei", "", null, null)]
    public void Parse_WellFormedQuery_ReadsEachParameter(string query, string pei, string? supi, string? gpsi)
    {
        var q = EquipmentStatusQuery.Parse(query, new char[query.Length]);

        Assert.Equal(QueryError.None, q.Error);
        Assert.Equal(pei, q.Pei.ToString());
        Assert.Equal(supi is not null, (q.Present & QueryParameter.Supi) != 0);
        Assert.Equal(supi ?? "", q.Supi.ToString());
        Assert.Equal(gpsi is not null, (q.Present & QueryParameter.Gpsi) != 0);
        Assert.Equal(gpsi ?? "", q.Gpsi.ToString());
    }

    [Theory]
    [InlineData("?pei=1&pei=2", "Pei")]
    [InlineData("?pei=1&supi=2&supi=2", "Supi")]
    [InlineData("?gpsi&gpsi", "Gpsi")]
    [InlineData("?supported-features=1&supported-features=1", "SupportedFeatures")]
    [InlineData("?pei=1&p%65i=2", "Pei")]
    public void Parse_ParameterTwice_Duplicate(string query, string parameter)
    {
        var q = EquipmentStatusQuery.Parse(query, new char[query.Length]);

        Assert.Equal((QueryError.Duplicate, Enum.Parse<QueryParameter>(parameter)), (q.Error, q.Duplicate));
    }

    [Theory]
    [InlineData("?imei=1", "imei")]
    [InlineData("?pei=1&Supi=2", "Supi")]
    [InlineData("?pei=1&=2", "")]
    [InlineData("?pei=1&x%2Dy=2", "x-y")]
    public void Parse_UnknownName_UnknownParameterWithDecodedName(string query, string name)
    {
        var q = EquipmentStatusQuery.Parse(query, new char[query.Length]);

        Assert.Equal(QueryError.UnknownParameter, q.Error);
        Assert.Equal(name, q.UnknownName.ToString());
    }

    [Fact]
    public void Parse_LongEncodedQuery_DecodesThroughPooledBuffer()
    {
        var padding = string.Concat(Enumerable.Repeat("%30", 300));
        var query = "?supported-features=" + padding + "&pei=imei%2D" + Imei15(Registered14);

        var q = EquipmentStatusQuery.Parse(query, new char[query.Length]);

        Assert.Equal(new string('0', 300), q.SupportedFeatures.ToString());
        Assert.Equal("imei-" + Imei15(Registered14), q.Pei.ToString());
    }
}

/// <summary>The handler's decision path on a real node's checker: answers, and what it costs.</summary>
public sealed class EquipmentStatusDecideTests : IClassFixture<N5gEirNode>
{
    private readonly EquipmentStatusEndpoint _endpoint;

    public EquipmentStatusDecideTests(N5gEirNode eir)
    {
        var services = eir.Node.Services;
        _endpoint = new EquipmentStatusEndpoint(services.GetRequiredService<EquipmentChecker>(), services.GetRequiredService<EirMetrics>());
    }

    [Theory]
    [InlineData("?pei=imei-490154203237518&supi=imsi-437010999999999")]
    [InlineData("?pei=imeisv-3569380356438012")]
    [InlineData("?pei=imei-352099001761481&gpsi=msisdn-996700111111")]
    [InlineData("?pei=imei%2D490154203237518&supi=imsi%2D250011234567890")]
    [InlineData("?pei=imei-867530900000010")]
    public void Decide_VerdictQuery_AllocatesNothing(string query)
    {
        // Warm up (JIT and its tier-up, lazily built statics, the metric points of these tags), then count what this
        // thread allocates over many calls. One warm-up call was not always enough: a one-off 472 B was seen once.
        var first = _endpoint.Decide(query);
        Assert.Null(first.Problem);
        for (var i = 0; i < 200; i++)
        {
            _endpoint.Decide(query);
        }

        Assert.Equal(0, LeastAllocatedOverRounds(query));
    }

    [Fact]
    public void Decide_LongEncodedQuery_AllocatesNothing()
    {
        var query = "?supported-features=" + string.Concat(Enumerable.Repeat("%30", 300)) + "&pei=imei%2D" + Imei15(Registered14);
        Assert.Equal(EquipmentStatus.Whitelisted, _endpoint.Decide(query).Status);
        for (var i = 0; i < 200; i++)
        {
            _endpoint.Decide(query); // past tier-up, as above: one warm-up call left a one-off 472 B here too
        }

        Assert.Equal(0, LeastAllocatedOverRounds(query));
    }

    /// <summary>
    /// Bytes this thread allocated over 1 000 calls, the least of three rounds. A per-call allocation shows in every
    /// round (at least 1 000 B); a one-off runtime allocation after tier-up (472 B was seen, rarely, under load) in one
    /// round at most, so it cannot fail the test while a real allocation still does.
    /// </summary>
    private long LeastAllocatedOverRounds(string query)
    {
        var least = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1_000; i++)
            {
                _endpoint.Decide(query);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}

/// <summary>The schema check itself: it must reject what the OpenAPI files do not allow, or the other tests prove nothing.</summary>
public sealed class OpenApiSpecTests
{
    private static readonly OpenApiSpec Spec = OpenApiSpec.N5gEir;

    [Theory]
    [InlineData(200, "application/json", """{"status":"WHITELISTED"}""")]
    [InlineData(200, "application/json", """{"status":"GREYLISTED"}""")]
    [InlineData(400, "application/problem+json", """{"title":"Bad Request","status":400,"detail":"pei is empty","cause":"MANDATORY_QUERY_PARAM_INCORRECT","invalidParams":[{"param":"query pei","reason":"is empty"}]}""")]
    [InlineData(404, "application/problem+json", """{"status":404,"cause":"ERROR_EQUIPMENT_UNKNOWN"}""")]
    [InlineData(503, "application/problem+json", """{}""")]
    public void ValidateResponse_BodiesTheSpecAllows_NoErrors(int status, string contentType, string body)
        => Assert.Empty(Spec.ValidateResponse("/equipment-status", "get", status, contentType, body));

    [Theory]
    [InlineData(200, "application/json", """{"status":"UNKNOWN"}""", "not one of")]
    [InlineData(200, "application/json", """{"status":"whitelisted"}""", "not one of")]
    [InlineData(200, "application/json", """{}""", "required property 'status'")]
    [InlineData(200, "application/json", """{"status":1}""", "expected string")]
    [InlineData(200, "application/json", """{"status":"WHITELISTED","reason":"x"}""", "not declared")]
    [InlineData(200, "application/problem+json", """{"status":"WHITELISTED"}""", "content type")]
    [InlineData(200, "application/json", """[]""", "expected object")]
    [InlineData(400, "application/json", """{"status":400}""", "content type")]
    [InlineData(400, "application/problem+json", """{"status":"400"}""", "expected integer")]
    [InlineData(400, "application/problem+json", """{"invalidParams":[]}""", "at least 1")]
    [InlineData(400, "application/problem+json", """{"invalidParams":[{"reason":"x"}]}""", "required property 'param'")]
    [InlineData(400, "application/problem+json", """{"invalidParam":[{"param":"pei"}]}""", "not declared")]
    [InlineData(400, "application/problem+json", """{"cause":7}""", "expected string")]
    [InlineData(418, "application/problem+json", """{}""", "declares no content")]
    public void ValidateResponse_BodiesTheSpecForbids_Errors(int status, string contentType, string body, string expected)
    {
        var errors = Spec.ValidateResponse("/equipment-status", "get", status, contentType, body);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EnumOf_EquipmentStatus_TheThreeStatuses()
        => Assert.Equal(["WHITELISTED", "BLACKLISTED", "GREYLISTED"], Spec.EnumOf(OpenApiSpec.N5gEirFile, "EquipmentStatus"));
}
