using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Identifiers;
using ImeiEir.DataGen;

namespace ImeiEir.Benchmarks;

/// <summary>The span parsers on the forms the request mix sends (IMEI 14/15/16 digits, imei-/imeisv-; MSISDN with and without +; IMSI with and without imsi-). Must allocate 0 bytes.</summary>
public class ParseBenchmarks
{
    public const int InputCount = 4_096;

    private string[] _imeis = [];
    private string[] _msisdns = [];
    private string[] _imsis = [];

    [GlobalSetup]
    public void Setup()
    {
        var requests = new RequestMix(new NationalDataSet(new DataSetOptions { Devices = 100_000 }), new RequestMixOptions { Malformed = 0 })
            .Generate(long.MaxValue);
        _imeis = [.. requests.Select(r => r.Imei).Take(InputCount)];
        _msisdns = [.. requests.Select(r => r.Msisdn).Where(s => s.Length > 0 && s[0] is '+' or '9').Take(InputCount)];
        _imsis = [.. requests.Select(r => r.Imsi).Where(s => s.Length > 0).Take(InputCount)];
    }

    [Benchmark(OperationsPerInvoke = InputCount)]
    public long ParseImei()
    {
        long sum = 0;
        foreach (var s in _imeis)
        {
            if (ImeiParser.TryParse(s, out var imei) == ParseStatus.Ok)
            {
                sum += imei.Key.Value;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = InputCount)]
    public long ParseMsisdn()
    {
        long sum = 0;
        foreach (var s in _msisdns)
        {
            if (MsisdnParser.TryParse(s, 996, out var msisdn) == ParseStatus.Ok)
            {
                sum += msisdn.Value;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = InputCount)]
    public long ParseImsi()
    {
        long sum = 0;
        foreach (var s in _imsis)
        {
            if (ImsiParser.TryParse(s, out var imsi) == ParseStatus.Ok)
            {
                sum += imsi.Key;
            }
        }

        return sum;
    }
}
