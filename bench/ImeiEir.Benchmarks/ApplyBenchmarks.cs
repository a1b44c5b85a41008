using BenchmarkDotNet.Attributes;
using ImeiEir.Core.Index;
using ImeiEir.DataGen;

namespace ImeiEir.Benchmarks;

/// <summary>
/// One million resolved mutations through <see cref="EirIndex.Apply"/> in batches of 1 000, onto an index loaded
/// with the 10 M data set (registered, stolen, bindings, subscribers). Includes the overlay folds and the
/// compactions the index decides to run, as a sync stream would trigger them. Op/s is mutations per second.
/// Mix: 60 % new registrations (near registered SNRs), 10 % unregistrations, 15 % new bindings, 5 % unbindings,
/// 5 % stolen reports, 5 % subscriber map updates. One invocation takes seconds (compactions of the 10 M snapshot
/// included), so 1 warm-up and 3 iterations.
/// </summary>
[WarmupCount(1)]
[IterationCount(3)]
public class ApplyBenchmarks
{
    public const int MutationCount = 1_000_000;
    public const int BatchSize = 1_000;

    private EirSnapshot _snapshot = null!;
    private Mutation[] _mutations = [];
    private EirIndex _index = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = TestData.DataSet(10_000_000);
        var keys = data.RegisteredKeysSorted();
        _snapshot = TestData.Snapshot(data, keys);
        _mutations = Mutations(data, keys);
    }

    [IterationSetup]
    public void Reload()
    {
        _index = new EirIndex();
        _index.Load(_snapshot, 0);
    }

    [Benchmark(OperationsPerInvoke = MutationCount)]
    public long ApplyMutations()
    {
        var index = _index;
        var span = _mutations.AsSpan();
        long sequence = 0;
        for (var i = 0; i < span.Length; i += BatchSize)
        {
            index.Apply(++sequence, span.Slice(i, Math.Min(BatchSize, span.Length - i)), DateTimeOffset.UnixEpoch);
        }

        return index.Current.Counts.RegisteredImeis;
    }

    internal static Mutation[] Mutations(NationalDataSet data, long[] keys)
    {
        var rng = Rng.ForStream(99, 1);
        var result = new Mutation[MutationCount];
        var bound = new List<Mutation>();
        var subscribers = data.Subscribers;
        for (var i = 0; i < result.Length; i++)
        {
            var u = rng.NextDouble();
            var existing = keys[rng.NextLong(keys.Length)];
            if (u < 0.60)
            {
                // Widen the window on each try: a packed lot can register every SNR for hundreds in a row.
                var candidate = existing;
                for (var window = 200L; Array.BinarySearch(keys, candidate) >= 0; window *= 2)
                {
                    candidate = existing + rng.NextLong(1, window);
                }

                result[i] = Mutation.Register(candidate);
            }
            else if (u < 0.70)
            {
                result[i] = Mutation.Unregister(existing);
            }
            else if (u < 0.85 || bound.Count == 0)
            {
                var s = rng.NextLong(subscribers.Count);
                var m = Mutation.Bind(existing + 500_000_000, subscribers.Msisdn(s), rng.Chance(0.4) ? subscribers.ImsiKey(s) : 0);
                bound.Add(m);
                result[i] = m;
            }
            else if (u < 0.90)
            {
                var b = bound[(int)rng.NextLong(bound.Count)];
                result[i] = Mutation.Unbind(b.Imei, b.Msisdn, b.Imsi);
            }
            else if (u < 0.95)
            {
                result[i] = Mutation.Stolen(existing);
            }
            else
            {
                var s = rng.NextLong(subscribers.Count);
                result[i] = Mutation.Subscriber(subscribers.ImsiKey(s), subscribers.Msisdn(rng.NextLong(subscribers.Count)));
            }
        }

        return result;
    }
}
