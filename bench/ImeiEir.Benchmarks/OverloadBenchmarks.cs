using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Overload;
using ImeiEir.Server.Overload;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImeiEir.Benchmarks;

/// <summary>
/// What admitting one check costs: the node's gate (<see cref="OverloadGate"/>: arrival count, shedding flag,
/// in-flight counter) against System.Threading.RateLimiting's <see cref="ConcurrencyLimiter"/>, which the ASP.NET Core
/// rate-limiting middleware would use for the same in-flight limit (the middleware adds its own per-request work on
/// top). Single-threaded: the uncontended cost; both are limits that are never reached here.
/// </summary>
public class OverloadBenchmarks
{
    private OverloadGate _gate = null!;
    private ConcurrencyLimiter _limiter = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new OverloadOptions();
        var monitor = new QueueDelayMonitor(options, NullLogger<QueueDelayMonitor>.Instance);
        _gate = new OverloadGate(options, monitor, new OverloadMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.EffectiveMaxConcurrentChecks, QueueLimit = 0 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _limiter.Dispose();
        _services.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool GateEnterExit()
    {
        var admitted = _gate.TryEnter(CheckInterface.Grpc) == Admission.Admitted;
        if (admitted)
        {
            _gate.Exit();
        }

        return admitted;
    }

    [Benchmark]
    public bool ConcurrencyLimiterAcquireRelease()
    {
        using var lease = _limiter.AttemptAcquire();
        return lease.IsAcquired;
    }
}
