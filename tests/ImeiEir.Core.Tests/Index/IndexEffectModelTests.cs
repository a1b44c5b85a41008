using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>
/// <see cref="IndexEffectBuilder"/> and <see cref="EirIndex.Stage(long, IndexEffect, DateTimeOffset)"/> against a plain
/// model (sets and dictionaries changed one mutation at a time): random batches over few keys (so a batch often
/// touches a key twice or undoes its own change), staged two deep on each other, published or taken back, compacted
/// along the way. The builder's reads must answer as the model does before each mutation, each effect must hold exactly
/// the keys the model says changed with their final values, and every staged and published view must answer every
/// lookup and count like the model at its sequence.
/// </summary>
public class IndexEffectModelTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly long[] Imeis = [.. Enumerable.Range(0, 24).Select(i => (long)i), 65_536, 99_999_999_999_999];
    private static readonly long[] Msisdns = [0, .. Enumerable.Range(1, 6).Select(i => 996_700_000_000L + i)];
    private static readonly long[] Imsis = [0, .. Enumerable.Range(1, 6).Select(i => 437_010_000_000_000L + i)];

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 64)]
    [InlineData(3, 1)]
    [InlineData(4, 100_000)]
    [InlineData(20261101, 32)]
    public void BuildAndStage_RandomBatches_EveryLookupAndCountAsTheModel(int seed, long compactionMinimum)
    {
        var random = new Random(seed);
        var published = Model.Random(random);
        var index = new EirIndex(new IndexOptions { CompactionMinimumChanges = compactionMinimum });
        index.Load(published.ToSnapshot(), 0);
        Assert.Null(published.Compare(index.Current));
        var staged = new List<(EirView View, Model Model)>();
        int batches = 0, discards = 0;

        for (var step = 0; step < 400; step++)
        {
            var action = random.Next(10);
            if (action < 6 && staged.Count < 2)
            {
                var head = staged.Count == 0 ? published : staged[^1].Model;
                var model = head.Clone();
                var builder = new IndexEffectBuilder(index.Head);
                Mutation? previous = null;
                for (int i = 0, n = random.Next(0, 30); i < n; i++)
                {
                    // Now and then the undoing of the mutation before: a change the batch takes back.
                    var m = previous is { } p && random.Next(5) == 0 ? Inverse(p) : RandomMutation(random);
                    previous = m;
                    Assert.Null(ReadsDiffer(builder, model, m));
                    builder.Apply(in m);
                    model.Apply(m);
                }

                var effect = builder.Build();
                Assert.Equal(model.EffectSince(head, index.Head.Sequence), EffectContent.Of(effect));
                var view = index.Stage(index.Head.Sequence + 1, effect, At);
                Assert.Null(model.Compare(view));
                staged.Add((view, model));
                batches++;
            }
            else if (action < 9 && staged.Count > 0)
            {
                index.Publish(staged[0].View);
                published = staged[0].Model;
                staged.RemoveAt(0);
            }
            else if (staged.Count > 0)
            {
                index.DiscardStaged();
                staged.Clear();
                discards++;
            }
            else if (random.Next(4) == 0)
            {
                index.Compact();
            }

            Assert.Null(published.Compare(index.Current));
            foreach (var (view, model) in staged)
            {
                Assert.Null(model.Compare(view));
            }
        }

        Assert.True(batches > 100 && discards > 5, $"{batches} batches, {discards} discards");
    }

    private static Mutation RandomMutation(Random random)
    {
        var imei = Imeis[random.Next(Imeis.Length)];
        var msisdn = Msisdns[random.Next(Msisdns.Length)];
        var imsi = Imsis[random.Next(Imsis.Length)];
        return random.Next(8) switch
        {
            0 => Mutation.Register(imei),
            1 => Mutation.Unregister(imei),
            2 => Mutation.Stolen(imei),
            3 => Mutation.ClearStolen(imei),
            4 => Mutation.Bind(imei, msisdn, imsi),
            5 => Mutation.Unbind(imei, msisdn, imsi),
            6 => Mutation.Subscriber(imsi, msisdn),
            _ => Mutation.RemoveSubscriber(imsi),
        };
    }

    private static Mutation Inverse(Mutation m) => m.Kind switch
    {
        MutationKind.AddRegistered => Mutation.Unregister(m.Imei),
        MutationKind.RemoveRegistered => Mutation.Register(m.Imei),
        MutationKind.AddStolen => Mutation.ClearStolen(m.Imei),
        MutationKind.RemoveStolen => Mutation.Stolen(m.Imei),
        MutationKind.AddBinding => Mutation.Unbind(m.Imei, m.Msisdn, m.Imsi),
        MutationKind.RemoveBinding => Mutation.Bind(m.Imei, m.Msisdn, m.Imsi),
        MutationKind.SetSubscriber => Mutation.RemoveSubscriber(m.Imsi),
        _ => Mutation.Subscriber(m.Imsi, Msisdns[1]),
    };

    // What the builder answers about the keys of `m` before it is applied, against the model as the batch left it.
    private static string? ReadsDiffer(IndexEffectBuilder builder, Model model, Mutation m)
    {
        var records = model.Records(m.Imei);
        var record = new BindingRecord(m.Msisdn, m.Imsi);
        if (builder.IsRegistered(m.Imei) != model.Registered.Contains(m.Imei)
            || builder.IsStolen(m.Imei) != model.Stolen.Contains(m.Imei)
            || !builder.GetBindingRecords(m.Imei).SequenceEqual(records)
            || builder.HasBinding(m.Imei, record) != records.Contains(record)
            || builder.HasMsisdn(m.Imei, m.Msisdn) != (m.Msisdn != 0 && records.Any(r => r.Msisdn == m.Msisdn))
            || builder.TryGetMsisdn(m.Imsi, out var msisdn) != model.Subscribers.ContainsKey(m.Imsi)
            || msisdn != model.Subscribers.GetValueOrDefault(m.Imsi)
            || builder.Counts != model.Counts)
        {
            return $"before {m}: the builder's reads differ from the model";
        }

        return null;
    }

    /// <summary>The index as sets and dictionaries: the reference every view and effect is checked against.</summary>
    private sealed class Model
    {
        public HashSet<long> Registered { get; private init; } = [];

        public HashSet<long> Stolen { get; private init; } = [];

        public Dictionary<long, SortedSet<BindingRecord>> Bindings { get; private init; } = [];

        /// <summary>IMSI → MSISDN, never 0 (a subscriber set to 0 is removed).</summary>
        public Dictionary<long, long> Subscribers { get; private init; } = [];

        public EirCounts Counts => new(Registered.Count, Bindings.Values.Sum(s => s.Count), Stolen.Count, Subscribers.Count);

        public static Model Random(Random random)
        {
            var model = new Model();
            foreach (var imei in Imeis)
            {
                if (random.Next(2) == 0)
                {
                    model.Registered.Add(imei);
                }

                if (random.Next(4) == 0)
                {
                    model.Stolen.Add(imei);
                }

                for (int i = 0, n = random.Next(3) == 0 ? random.Next(1, 30) : 0; i < n; i++)
                {
                    model.Apply(Mutation.Bind(imei, Msisdns[random.Next(Msisdns.Length)], Imsis[random.Next(Imsis.Length)]));
                }
            }

            foreach (var imsi in Imsis.Where(_ => random.Next(2) == 0))
            {
                model.Subscribers[imsi] = Msisdns[random.Next(1, Msisdns.Length)];
            }

            return model;
        }

        public EirSnapshot ToSnapshot() => EirSnapshot.Build(
            Registered,
            Stolen,
            Bindings.SelectMany(kv => kv.Value.Select(r => (kv.Key, r))),
            Subscribers.Select(kv => (kv.Key, kv.Value)));

        public Model Clone() => new()
        {
            Registered = [.. Registered],
            Stolen = [.. Stolen],
            Bindings = Bindings.ToDictionary(kv => kv.Key, kv => new SortedSet<BindingRecord>(kv.Value)),
            Subscribers = new(Subscribers),
        };

        public BindingRecord[] Records(long imei) => Bindings.TryGetValue(imei, out var set) ? [.. set] : [];

        public void Apply(Mutation m)
        {
            switch (m.Kind)
            {
                case MutationKind.AddRegistered: Registered.Add(m.Imei); break;
                case MutationKind.RemoveRegistered: Registered.Remove(m.Imei); break;
                case MutationKind.AddStolen: Stolen.Add(m.Imei); break;
                case MutationKind.RemoveStolen: Stolen.Remove(m.Imei); break;
                case MutationKind.AddBinding:
                    if (!Bindings.TryGetValue(m.Imei, out var set))
                    {
                        Bindings[m.Imei] = set = [];
                    }

                    set.Add(new BindingRecord(m.Msisdn, m.Imsi));
                    break;
                case MutationKind.RemoveBinding:
                    if (Bindings.TryGetValue(m.Imei, out var records) && records.Remove(new BindingRecord(m.Msisdn, m.Imsi)) && records.Count == 0)
                    {
                        Bindings.Remove(m.Imei);
                    }

                    break;
                case MutationKind.SetSubscriber when m.Msisdn != 0: Subscribers[m.Imsi] = m.Msisdn; break;
                case MutationKind.SetSubscriber or MutationKind.RemoveSubscriber: Subscribers.Remove(m.Imsi); break;
                default: throw new ArgumentOutOfRangeException(nameof(m));
            }
        }

        /// <summary>The effect of going from <paramref name="before"/> to this model: every key whose value differs, with its value here.</summary>
        public EffectContent EffectSince(Model before, long basisSequence) => new(
            basisSequence,
            Counts,
            [.. Registered.Union(before.Registered).Where(k => Registered.Contains(k) != before.Registered.Contains(k)).Order().Select(k => (k, Registered.Contains(k)))],
            [.. Stolen.Union(before.Stolen).Where(k => Stolen.Contains(k) != before.Stolen.Contains(k)).Order().Select(k => (k, Stolen.Contains(k)))],
            [.. Bindings.Keys.Union(before.Bindings.Keys).Where(k => !Records(k).SequenceEqual(before.Records(k))).Order().Select(k => (k, Text(Records(k))))],
            [.. Subscribers.Keys.Union(before.Subscribers.Keys).Where(k => Subscribers.GetValueOrDefault(k) != before.Subscribers.GetValueOrDefault(k)).Order().Select(k => (k, Subscribers.GetValueOrDefault(k)))]);

        /// <summary>The first lookup in which <paramref name="view"/> differs from the model, or null.</summary>
        public string? Compare(EirView view)
        {
            if (view.Counts != Counts)
            {
                return $"seq {view.Sequence}: counts {view.Counts}, model {Counts}";
            }

            foreach (var imei in Imeis)
            {
                if (view.IsRegistered(imei) != Registered.Contains(imei) || view.IsStolen(imei) != Stolen.Contains(imei))
                {
                    return $"seq {view.Sequence}: IMEI {imei} registered {view.IsRegistered(imei)}, stolen {view.IsStolen(imei)}";
                }

                if (BindingsCheck.Differ($"seq {view.Sequence}", imei, view.GetBindings(imei), Records(imei), Msisdns, Imsis) is { } bindings)
                {
                    return bindings;
                }
            }

            foreach (var imsi in Imsis)
            {
                var has = view.TryGetMsisdn(imsi, out var msisdn);
                if (has != Subscribers.ContainsKey(imsi) || msisdn != Subscribers.GetValueOrDefault(imsi))
                {
                    return $"seq {view.Sequence}: TryGetMsisdn({imsi}) is ({has}, {msisdn})";
                }
            }

            return null;
        }

        private static string Text(BindingRecord[] records) => EffectContent.Records(new BindingList(records));
    }
}
