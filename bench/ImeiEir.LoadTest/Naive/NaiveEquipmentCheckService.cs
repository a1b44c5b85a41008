using System.Globalization;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Identifiers;
using StackExchange.Redis;

namespace ImeiEir.LoadTest.Naive;

/// <summary>
/// EquipmentCheck answered the naive way: parse (the same parsers as ImeiEir), then one Redis round trip per
/// check through one multiplexed connection, async and pipelined (a batch fires all its lookups before awaiting
/// any; a stream keeps up to 1 024 lookups in flight, answering in order). No cache, no artificial slowness.
/// </summary>
internal sealed class NaiveEquipmentCheckService : EquipmentCheck.EquipmentCheckBase
{
    private const int HomeMcc = 437;
    private const int HomeCountryCode = 996;
    private static readonly long GraceMs = (long)TimeSpan.FromDays(3).TotalMilliseconds;
    private readonly IDatabase _db;
    private readonly byte[] _script;

    public NaiveEquipmentCheckService(NaiveRedis redis)
    {
        _db = redis.Database;
        _script = redis.ScriptSha;
    }

    public override async Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        var r = await CheckOneAsync(request);
        return r.Reason == Reason.InvalidRequest ? throw new RpcException(new Status(StatusCode.InvalidArgument, r.Error)) : r;
    }

    public override async Task<CheckBatchResponse> CheckBatch(CheckBatchRequest request, ServerCallContext context)
    {
        if (request.Requests.Count > 10_000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "requests: at most 10000 items"));
        }

        var tasks = new Task<CheckResponse>[request.Requests.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = CheckOneAsync(request.Requests[i]);
        }

        var response = new CheckBatchResponse();
        response.Responses.Capacity = tasks.Length;
        foreach (var t in tasks)
        {
            response.Responses.Add(await t);
        }

        return response;
    }

    public override async Task CheckStream(IAsyncStreamReader<CheckRequest> requestStream, IServerStreamWriter<CheckResponse> responseStream, ServerCallContext context)
    {
        var inOrder = Channel.CreateBounded<Task<CheckResponse>>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var t in inOrder.Reader.ReadAllAsync())
            {
                await responseStream.WriteAsync(await t);
            }
        });
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                await inOrder.Writer.WriteAsync(CheckOneAsync(requestStream.Current), context.CancellationToken);
            }
        }
        finally
        {
            inOrder.Writer.TryComplete();
        }

        await writer;
    }

    private Task<CheckResponse> CheckOneAsync(CheckRequest q)
    {
        var status = ImeiParser.TryParse(q.Imei, out var imei);
        if (status != ParseStatus.Ok)
        {
            return Task.FromResult(Invalid(q, "imei " + ParseStatusText.DescribeImei(status)));
        }

        var msisdn = "";
        var home = true;
        if (q.Msisdn.Length > 0)
        {
            status = MsisdnParser.TryParse(q.Msisdn, HomeCountryCode, out var m);
            if (status != ParseStatus.Ok)
            {
                return Task.FromResult(Invalid(q, "msisdn " + ParseStatusText.DescribeMsisdn(status)));
            }

            msisdn = m.Value.ToString(CultureInfo.InvariantCulture);
            home = m.HasCountryCode(HomeCountryCode);
        }

        var imsi = "";
        if (q.Imsi.Length > 0)
        {
            status = ImsiParser.TryParse(q.Imsi, out var i);
            if (status != ParseStatus.Ok)
            {
                return Task.FromResult(Invalid(q, "imsi " + ParseStatusText.DescribeImsi(status)));
            }

            imsi = i.ToString();
            home = i.Mcc == HomeMcc;   // the IMSI decides when present
        }

        var key = imei.Key.ToString();
        return LookupAsync(q.CorrelationId, key, msisdn, imsi, home);
    }

    private async Task<CheckResponse> LookupAsync(ulong correlationId, string imei, string msisdn, string imsi, bool home)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(
            _script,
            [NaiveSchema.Status(imei), NaiveSchema.Bindings(imei), NaiveSchema.Subscriber(imsi), NaiveSchema.Grace(imei)],
            [home ? "1" : "0", msisdn, imsi, now, GraceMs]))!;
        var reason = (Reason)(int)result[0];
        var response = new CheckResponse { Reason = reason, CorrelationId = correlationId };
        switch (reason)
        {
            case Reason.Registered or Reason.BoundSubscriber or Reason.RoamingExempt:
                response.Verdict = Verdict.Allow;
                response.EquipmentStatus = EquipmentStatus.Whitelisted;
                break;
            case Reason.NumberSwitchGrace:
                response.Verdict = Verdict.Allow;
                response.EquipmentStatus = EquipmentStatus.Greylisted;
                response.GraceExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds((long)result[1]));
                break;
            default:
                response.Verdict = Verdict.Deny;
                response.EquipmentStatus = EquipmentStatus.Blacklisted;
                break;
        }

        return response;
    }

    private static CheckResponse Invalid(CheckRequest q, string error) => new()
    {
        Reason = Reason.InvalidRequest,
        Error = error,
        CorrelationId = q.CorrelationId,
    };
}
