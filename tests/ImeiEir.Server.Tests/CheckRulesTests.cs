using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests;

/// <summary>Every rule of the verdict order, end to end: registry batch in through RegistrySync, checks through gRPC.</summary>
public sealed class CheckRulesTests : NodeTest
{
    // Valid check digits (Luhn) for the 14-digit bodies.
    private const string Registered = "490154203237518";
    private const string SecondImei = "35693803564380";
    private const string Bound = "35209900176148";
    private const string NullImei = "00000000000000";
    private const string StolenRegistered = "35332206453425";
    private const string Unknown = "86753090000001";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var ack = await Node.ApplyOneAsync(
            "seed-1",
            D.Register("dev-1", Registered, SecondImei),
            D.Register("dev-2", StolenRegistered),
            D.Stolen(StolenRegistered, "POLICE-42"),
            D.Bind(Bound, "996700111111", "437010000000001"),
            D.Bind(NullImei, "996700222222"),
            D.Bind(NullImei, "996700333333"),
            D.Subscriber("437050000000009", "996700222222"));
        Assert.True(ack.Accepted, ack.Error + string.Join(";", ack.Errors));
    }

    public static TheoryData<string, string, string, Verdict, EquipmentStatus, Reason> Cases => new()
    {
        { Registered, "996555000001", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.Registered },
        { "imei-" + Registered, "", "imsi-437010999999999", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.Registered },
        { SecondImei, "", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.Registered },
        { "3569380356438012", "", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.Registered },
        { Bound, "996700111111", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { Bound, "", "437010000000001", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { Bound, "+996700111111", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { Bound, "700111111", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { NullImei, "996700333333", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { NullImei, "", "437050000000009", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.BoundSubscriber },
        { Bound, "", "", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NumberSwitchRequired },
        { StolenRegistered, "996700111111", "", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.Stolen },
        { StolenRegistered, "", "250011234567890", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.Stolen },
        { Unknown, "", "250011234567890", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.RoamingExempt },
        { Unknown, "79161234567", "", Verdict.Allow, EquipmentStatus.Whitelisted, Reason.RoamingExempt },
        { Unknown, "79161234567", "437010000000077", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NotRegistered },
        { Unknown, "996555000001", "", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NotRegistered },
        { Unknown, "", "", Verdict.Deny, EquipmentStatus.Blacklisted, Reason.NotRegistered },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Check_VerdictOrder_AnswersLikeDomainRules(string imei, string msisdn, string imsi, Verdict verdict, EquipmentStatus status, Reason reason)
    {
        var r = await Node.CheckAsync(imei, msisdn, imsi);

        Assert.Equal((verdict, status, reason), (r.Verdict, r.EquipmentStatus, r.Reason));
        Assert.Equal(1UL, r.Sequence);
        Assert.Null(r.GraceExpiresAt);
    }

    [Fact]
    public async Task Check_BoundImeiWithNewNumber_GreylistedWithGraceExpiryThatStaysPut()
    {
        var before = DateTimeOffset.UtcNow;
        var first = await Node.CheckAsync(Bound, "996700999999");
        var again = await Node.CheckAsync(Bound, "996700999999");

        Assert.Equal((Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace), (first.Verdict, first.EquipmentStatus, first.Reason));
        var expires = first.GraceExpiresAt.ToDateTimeOffset();
        Assert.InRange(expires, before.AddHours(72).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(72).AddSeconds(1));
        Assert.Equal(first.GraceExpiresAt, again.GraceExpiresAt);
    }

    [Theory]
    [InlineData("", "imei")]
    [InlineData("12345", "imei")]
    [InlineData("mac-00-11-22-33-44-55", "imei")]
    [InlineData("49015420323751X", "imei")]
    public async Task Check_BadImei_InvalidArgumentNamingField(string imei, string field)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Node.CheckAsync(imei, "996700111111"));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + " ", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99670011", "", "msisdn")]
    [InlineData("0996700111111", "", "msisdn")]
    [InlineData("+99670011111a", "", "msisdn")]
    [InlineData("", "4370", "imsi")]
    [InlineData("", "4370100000000001", "imsi")]
    [InlineData("", "imsi-43701x", "imsi")]
    public async Task Check_BadSubscriber_InvalidArgumentNamingField(string msisdn, string imsi, string field)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Node.CheckAsync(Registered, msisdn, imsi));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + " ", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckBatch_MixedItems_AnswersInOrderAndFlagsOnlyBadOnes()
    {
        var request = new CheckBatchRequest();
        request.Requests.Add(new CheckRequest { Imei = Registered, CorrelationId = 1 });
        request.Requests.Add(new CheckRequest { Imei = "bad", CorrelationId = 2 });
        request.Requests.Add(new CheckRequest { Imei = Unknown, Msisdn = "996555000001", CorrelationId = 3 });
        request.Requests.Add(new CheckRequest { Imei = Bound, Msisdn = "12", CorrelationId = 4 });

        var response = await Node.Checks.CheckBatchAsync(request, TestNode.Auth(TestNode.CheckKey));

        Assert.Equal([1UL, 2UL, 3UL, 4UL], response.Responses.Select(r => r.CorrelationId));
        Assert.Equal([Reason.Registered, Reason.InvalidRequest, Reason.NotRegistered, Reason.InvalidRequest], response.Responses.Select(r => r.Reason));
        Assert.StartsWith("imei ", response.Responses[1].Error, StringComparison.Ordinal);
        Assert.StartsWith("msisdn ", response.Responses[3].Error, StringComparison.Ordinal);
        Assert.Equal("", response.Responses[0].Error);
    }

    [Fact]
    public async Task CheckBatch_OverTenThousand_InvalidArgument()
    {
        var request = new CheckBatchRequest();
        request.Requests.AddRange(Enumerable.Range(0, 10_001).Select(i => new CheckRequest { Imei = Registered }));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Node.Checks.CheckBatchAsync(request, TestNode.Auth(TestNode.CheckKey)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("requests", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStream_ManyItems_AnswersEachInOrder()
    {
        using var call = Node.Checks.CheckStream(TestNode.Auth(TestNode.CheckKey));
        var reader = Task.Run(async () =>
        {
            var got = new List<CheckResponse>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                got.Add(call.ResponseStream.Current);
            }

            return got;
        });
        for (var i = 0; i < 500; i++)
        {
            await call.RequestStream.WriteAsync(new CheckRequest { Imei = i % 5 == 0 ? "x" : i % 2 == 0 ? Registered : Unknown, CorrelationId = (ulong)i });
        }

        await call.RequestStream.CompleteAsync();
        var responses = await reader;

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (ulong)i), responses.Select(r => r.CorrelationId));
        Assert.All(responses, r => Assert.Equal(
            r.CorrelationId % 5 == 0 ? Reason.InvalidRequest : r.CorrelationId % 2 == 0 ? Reason.Registered : Reason.NotRegistered, r.Reason));
    }
}
