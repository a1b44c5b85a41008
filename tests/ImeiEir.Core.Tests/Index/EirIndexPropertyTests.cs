using System.Collections.Concurrent;
using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>
/// The index against plain models: random batches of adds and removes (keys clustered so every container kind
/// appears, across folds and compactions) must leave it answering exactly like a <see cref="HashSet{T}"/> of
/// registered and stolen IMEIs and dictionaries of bindings and subscribers, after every batch, and a reader
/// running at the same time must only ever see a view equal to the model at that view's sequence.
/// </summary>
public class EirIndexPropertyTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<int, long> Seeds => new()
    {
        // seed, overlay entries before a compaction
        { 1, 64 },
        { 2, 16 },
        { 3, 2048 },
        { 4, 1 },
        { 20260301, 512 },
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_RandomBatches_AnswersLikeTheModelAfterEveryBatch(int seed, long compactionMinimum)
    {
        var scenario = Scenario.Generate(seed, batches: 120);
        var index = new EirIndex(new IndexOptions { CompactionMinimumChanges = compactionMinimum });
        index.Load(EirSnapshot.Empty, 0);

        for (var s = 1; s < scenario.States.Length; s++)
        {
            index.Apply(s, scenario.Batches[s], At);
            Assert.Null(scenario.Compare(index.Current, s));
            if (scenario.CompactAfter[s])
            {
                index.Compact();
                Assert.Null(scenario.Compare(index.Current, s));
            }
        }

        Assert.True(index.Compactions > 0);
        var final = index.Compact();
        Assert.Null(scenario.Compare(final, scenario.States.Length - 1));
        var (arrays, bitmaps, runs) = final.Snapshot.Registered.ContainerCounts;
        Assert.True(arrays > 0 && bitmaps > 0 && runs > 0, $"arrays {arrays}, bitmaps {bitmaps}, runs {runs}");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Apply_RandomBatchesWhileAnotherThreadReads_EveryViewSeenEqualsTheModelAtItsSequence(int seed)
    {
        var scenario = Scenario.Generate(seed, batches: 120);
        var index = new EirIndex(new IndexOptions { CompactionMinimumChanges = 64 });
        index.Load(EirSnapshot.Empty, 0);
        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<long, int>();
        long passes = 0;
        var done = false;

        var reader = new Thread(() =>
        {
            try
            {
                while (!Volatile.Read(ref done))
                {
                    var view = index.Current;
                    if (scenario.Compare(view, view.Sequence) is { } failure)
                    {
                        failures.Enqueue(failure);
                        return;
                    }

                    seen.AddOrUpdate(view.Sequence, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref passes);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e.ToString());
            }
        })
        { IsBackground = true, Name = "index reader" };
        reader.Start();

        for (var s = 1; s < scenario.States.Length && failures.IsEmpty; s++)
        {
            index.Apply(s, scenario.Batches[s], At);
            if (scenario.CompactAfter[s])
            {
                index.Compact();
            }

            // Let the reader finish at least one whole pass over this view before the next batch, so every
            // version is checked while the writer keeps building the next one; no clock involved.
            var target = Interlocked.Read(ref passes) + 2;
            SpinWait.SpinUntil(() => Interlocked.Read(ref passes) >= target || !reader.IsAlive);
        }

        Volatile.Write(ref done, true);
        reader.Join();

        Assert.Empty(failures);
        Assert.True(index.Compactions > 0);
        for (long s = 1; s < scenario.States.Length; s++)
        {
            Assert.True(seen.ContainsKey(s), $"view {s} was never read");
        }
    }

    /// <summary>One model state: what the index must answer at one sequence.</summary>
    private sealed record State(long[] Registered, long[] Stolen, Dictionary<long, BindingRecord[]> Bindings, Dictionary<long, long> Subscribers, int BindingCount);

    /// <summary>A deterministic run: the batches, the model state after each, and the keys to ask about.</summary>
    private sealed class Scenario
    {
        // Clusters, each aligned to a 65 536-key container so every encoding shows up in the snapshot.
        private const long DenseBase = 538_493L << 16;      // random keys, thousands per container: bitmap
        private const long RunBase = 538_500L << 16;        // consecutive ranges shipped together: runs
        private const long SparseBase = 538_510L << 16;     // a few hundred per container: array
        private static readonly long[] Borders = [0, 1, 65535, 65536, 65537, 131071, 131072, 99_999_999_999_999, 99_999_999_934_464];

        public required Mutation[][] Batches { get; init; }

        public required State[] States { get; init; }

        public required bool[] CompactAfter { get; init; }

        public required long[] Universe { get; init; }

        public required long[] BindImeis { get; init; }

        public required long[] Msisdns { get; init; }

        public required long[] Imsis { get; init; }

        public static Scenario Generate(int seed, int batches)
        {
            var random = new Random(seed);
            var registered = new HashSet<long>();
            var stolen = new HashSet<long>();
            var bindings = new Dictionary<long, SortedSet<BindingRecord>>();
            var subscribers = new Dictionary<long, long>();
            var universe = new HashSet<long>(Borders);
            var added = new List<long>();

            // The null IMEI and a clone get most bindings (well past the 16-record IMSI index threshold).
            long[] bindImeis = [0, 35_290_611_000_001, .. Enumerable.Range(0, 18).Select(i => 35_290_611_100_000 + (i * 7919L))];
            var msisdns = Enumerable.Range(0, 60).Select(i => 996_700_000_000 + (i * 1009L)).ToArray();
            var imsis = Enumerable.Range(0, 40).Select(i => Ids.Imsi("43701" + (1_000_000_000 + (i * 3571L)).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();

            var allBatches = new Mutation[batches + 1][];
            var states = new State[batches + 1];
            var compactAfter = new bool[batches + 1];
            allBatches[0] = [];
            states[0] = Freeze(registered, stolen, bindings, subscribers);
            for (var s = 1; s <= batches; s++)
            {
                var batch = new List<Mutation>();
                var ops = random.Next(1, 7);
                for (var o = 0; o < ops; o++)
                {
                    switch (random.Next(9))
                    {
                        case 0 or 1:
                            for (int i = 0, n = random.Next(50, 400); i < n; i++)
                            {
                                Register(batch, added, DenseBase + random.Next(20_000));
                            }

                            break;
                        case 2:
                        {
                            // Blocks of consecutive SNRs; kept out of 'added' so only whole holes (case 7) cut them.
                            var start = RunBase + (random.Next(30) * 2000);
                            for (int i = 0, n = random.Next(200, 1500); i < n; i++)
                            {
                                batch.Add(Mutation.Register(start + i));
                            }

                            break;
                        }

                        case 3:
                            for (int i = 0, n = random.Next(1, 60); i < n; i++)
                            {
                                Register(batch, added, random.Next(3) == 0 ? random.NextInt64(100_000_000_000_000) : SparseBase + random.Next(3 * 65536));
                            }

                            break;
                        case 4:
                            Register(batch, added, Borders[random.Next(Borders.Length)]);
                            batch.Add(Mutation.Unregister(Borders[random.Next(Borders.Length)]));
                            break;
                        case 5 or 6:
                            if (added.Count > 0)
                            {
                                for (int i = 0, n = random.Next(1, 200); i < n; i++)
                                {
                                    batch.Add(Mutation.Unregister(added[random.Next(added.Count)]));
                                }
                            }

                            break;
                        case 7:
                        {
                            // A hole in a run (or a removal of keys that are not there).
                            var start = RunBase + random.Next(60_000);
                            for (int i = 0, n = random.Next(1, 50); i < n; i++)
                            {
                                batch.Add(Mutation.Unregister(start + i));
                            }

                            break;
                        }

                        default:
                        {
                            var k = added.Count > 0 && random.Next(2) == 0 ? added[random.Next(added.Count)] : Borders[random.Next(Borders.Length)];
                            batch.Add(random.Next(3) == 0 ? Mutation.ClearStolen(k) : Mutation.Stolen(k));
                            break;
                        }
                    }
                }

                for (int i = 0, n = random.Next(0, 12); i < n; i++)
                {
                    var imei = random.Next(3) == 0 ? bindImeis[random.Next(bindImeis.Length)] : bindImeis[random.Next(2)];
                    var hasImsi = random.Next(3) != 0;
                    var imsiOnly = hasImsi && random.Next(6) == 0;
                    var record = new BindingRecord(imsiOnly ? 0 : msisdns[random.Next(msisdns.Length)], hasImsi ? imsis[random.Next(imsis.Length)] : 0);
                    if (random.Next(4) == 0 && bindings.TryGetValue(imei, out var existing) && existing.Count > 0)
                    {
                        record = existing.ElementAt(random.Next(existing.Count));
                        batch.Add(Mutation.Unbind(imei, record.Msisdn, record.Imsi));
                    }
                    else
                    {
                        batch.Add(random.Next(8) == 0 ? Mutation.Unbind(imei, record.Msisdn, record.Imsi) : Mutation.Bind(imei, record.Msisdn, record.Imsi));
                    }
                }

                for (int i = 0, n = random.Next(0, 6); i < n; i++)
                {
                    var imsi = imsis[random.Next(imsis.Length)];
                    batch.Add(random.Next(4) == 0 ? Mutation.RemoveSubscriber(imsi) : Mutation.Subscriber(imsi, msisdns[random.Next(msisdns.Length)]));
                }

                Shuffle(random, batch);
                foreach (var m in batch)
                {
                    ApplyToModel(m, registered, stolen, bindings, subscribers);
                    if (m.Kind is MutationKind.AddRegistered or MutationKind.RemoveRegistered or MutationKind.AddStolen or MutationKind.RemoveStolen)
                    {
                        universe.Add(m.Imei);
                        universe.Add(m.Imei + 1);
                        if (m.Imei > 0)
                        {
                            universe.Add(m.Imei - 1);
                        }
                    }
                }

                allBatches[s] = [.. batch];
                states[s] = Freeze(registered, stolen, bindings, subscribers);
                compactAfter[s] = random.Next(25) == 0;
            }

            for (var i = 0; i < 2000; i++)
            {
                universe.Add(random.NextInt64(100_000_000_000_000));
            }

            return new Scenario
            {
                Batches = allBatches,
                States = states,
                CompactAfter = compactAfter,
                Universe = [.. universe.Order()],
                BindImeis = bindImeis,
                Msisdns = [0, .. msisdns, 996_799_999_999],
                Imsis = [0, .. imsis, Ids.Imsi("437019999999999")],
            };
        }

        /// <summary>The first difference between the view and the model at <paramref name="sequence"/>, or null.</summary>
        public string? Compare(EirView view, long sequence)
        {
            if ((ulong)sequence >= (ulong)States.Length)
            {
                return $"view has sequence {sequence}, which no batch produced";
            }

            var state = States[sequence];
            var expectedCounts = new EirCounts(state.Registered.Length, state.BindingCount, state.Stolen.Length, state.Subscribers.Count);
            if (view.Counts != expectedCounts)
            {
                return $"seq {sequence}: counts {view.Counts}, model {expectedCounts}";
            }

            // Every key a batch touched is in the universe, so with equal counts the view holds no key the model
            // lacks anywhere. Universe and model arrays are both sorted: walk them together.
            int r = 0, t = 0;
            foreach (var k in Universe)
            {
                while (r < state.Registered.Length && state.Registered[r] < k)
                {
                    r++;
                }

                while (t < state.Stolen.Length && state.Stolen[t] < k)
                {
                    t++;
                }

                if (view.IsRegistered(k) != (r < state.Registered.Length && state.Registered[r] == k))
                {
                    return $"seq {sequence}: IsRegistered({k}) is {view.IsRegistered(k)}";
                }

                if (view.IsStolen(k) != (t < state.Stolen.Length && state.Stolen[t] == k))
                {
                    return $"seq {sequence}: IsStolen({k}) is {view.IsStolen(k)}";
                }
            }

            foreach (var imei in BindImeis)
            {
                if (BindingsCheck.Differ($"seq {sequence}", imei, view.GetBindings(imei), state.Bindings.GetValueOrDefault(imei) ?? [], Msisdns, Imsis) is { } bindings)
                {
                    return bindings;
                }
            }

            foreach (var imsi in Imsis)
            {
                var has = view.TryGetMsisdn(imsi, out var msisdn);
                var modelHas = state.Subscribers.TryGetValue(imsi, out var modelMsisdn);
                if (has != modelHas || msisdn != (modelHas ? modelMsisdn : 0))
                {
                    return $"seq {sequence}: TryGetMsisdn({imsi}) is ({has}, {msisdn}), model ({modelHas}, {modelMsisdn})";
                }
            }

            return null;
        }

        private static void Register(List<Mutation> batch, List<long> added, long key)
        {
            batch.Add(Mutation.Register(key));
            added.Add(key);
        }

        private static void ApplyToModel(Mutation m, HashSet<long> registered, HashSet<long> stolen, Dictionary<long, SortedSet<BindingRecord>> bindings, Dictionary<long, long> subscribers)
        {
            switch (m.Kind)
            {
                case MutationKind.AddRegistered: registered.Add(m.Imei); break;
                case MutationKind.RemoveRegistered: registered.Remove(m.Imei); break;
                case MutationKind.AddStolen: stolen.Add(m.Imei); break;
                case MutationKind.RemoveStolen: stolen.Remove(m.Imei); break;
                case MutationKind.AddBinding:
                    if (!bindings.TryGetValue(m.Imei, out var set))
                    {
                        bindings[m.Imei] = set = [];
                    }

                    set.Add(new BindingRecord(m.Msisdn, m.Imsi));
                    break;
                case MutationKind.RemoveBinding:
                    if (bindings.TryGetValue(m.Imei, out var records))
                    {
                        records.Remove(new BindingRecord(m.Msisdn, m.Imsi));
                    }

                    break;
                case MutationKind.SetSubscriber: subscribers[m.Imsi] = m.Msisdn; break;
                case MutationKind.RemoveSubscriber: subscribers.Remove(m.Imsi); break;
                default: throw new ArgumentOutOfRangeException(nameof(m));
            }
        }

        private static State Freeze(HashSet<long> registered, HashSet<long> stolen, Dictionary<long, SortedSet<BindingRecord>> bindings, Dictionary<long, long> subscribers)
        {
            var b = bindings.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
            return new State([.. registered.Order()], [.. stolen.Order()], b, new Dictionary<long, long>(subscribers), b.Values.Sum(r => r.Length));
        }

        private static void Shuffle(Random random, List<Mutation> list)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
    }
}
