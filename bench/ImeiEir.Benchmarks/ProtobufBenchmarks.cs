using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using ImeiEir.Contracts.V1;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.DataGen;
using ImeiEir.Server.Grpc;
using CheckRequest = ImeiEir.Contracts.V1.CheckRequest;

namespace ImeiEir.Benchmarks;

/// <summary>
/// What the gRPC adapter does per request, in process and without sockets: parse the protobuf bytes of a request,
/// decide through <see cref="EquipmentChecker"/>, build the response with the server's own mapping
/// (<c>ProtoMapping</c>), serialize it. The difference to <see cref="PolicyBenchmarks"/> is the cost of the contract's
/// messages; what remains to the transport figures of bench/run.sh is HTTP/2 and Kestrel.
/// </summary>
public class ProtobufBenchmarks
{
    public const int RequestCount = 1 << 12;
    public const int BatchItems = 1_000;

    private EquipmentChecker _checker = null!;
    private byte[][] _requests = [];
    private byte[] _batch = [];
    private readonly byte[] _output = new byte[1 << 20];

    [Params(1_000_000)]
    public int Imeis { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = TestData.DataSet(Imeis);
        var index = new EirIndex();
        index.Load(TestData.Snapshot(data, TestData.Keys(Imeis)), 1);
        _checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), TimeProvider.System);
        var mix = new RequestMix(data).Take(RequestCount);
        _requests = [.. mix.Select((r, i) => new CheckRequest { Imei = r.Imei, Msisdn = r.Msisdn, Imsi = r.Imsi, CorrelationId = (ulong)i }.ToByteArray())];
        var batch = new CheckBatchRequest();
        batch.Requests.AddRange(mix.Take(BatchItems).Select((r, i) => new CheckRequest { Imei = r.Imei, Msisdn = r.Msisdn, Imsi = r.Imsi, CorrelationId = (ulong)i }));
        _batch = batch.ToByteArray();

        // Warm the grace marks (first checks of new pairs record them) so every invocation does the same work.
        HandleUnary();
    }

    /// <summary>One unary Check: bytes in, bytes out.</summary>
    [Benchmark(OperationsPerInvoke = RequestCount)]
    public int HandleUnary()
    {
        var written = 0;
        foreach (var bytes in _requests)
        {
            var request = CheckRequest.Parser.ParseFrom(bytes);
            var result = _checker.Check(request.Imei, request.Msisdn, request.Imsi);
            var response = ProtoMapping.ToResponse(in result, request.CorrelationId);
            var size = response.CalculateSize();
            response.WriteTo(_output.AsSpan(0, size));
            written += size;
        }

        return written;
    }

    /// <summary>One CheckBatch of 1 000 items: bytes in, bytes out (per item).</summary>
    [Benchmark(OperationsPerInvoke = BatchItems)]
    public int HandleBatch()
    {
        var request = CheckBatchRequest.Parser.ParseFrom(_batch);
        var response = new CheckBatchResponse();
        foreach (var item in request.Requests)
        {
            var result = _checker.Check(item.Imei, item.Msisdn, item.Imsi);
            response.Responses.Add(ProtoMapping.ToResponse(in result, item.CorrelationId));
        }

        var size = response.CalculateSize();
        response.WriteTo(_output.AsSpan(0, size));
        return size;
    }
}
