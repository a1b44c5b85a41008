namespace ImeiEir.DataGen;

/// <summary>
/// A deterministic synthetic national data set (README.md describes the model). Nothing per device is stored:
/// the TAC table is small, each TAC's units are regenerated on demand from (seed, TAC index), subscribers are a
/// function of their index, stolen and binding choices are hashes of the IMEI. So the data set of 100 M devices
/// costs a few hundred kilobytes until a caller asks for an array.
/// </summary>
public sealed class NationalDataSet
{
    private const int ReservedSnrs = 1_000;                 // SNR 0..999 of every TAC is never shipped: clones live there
    private const ulong StolenTag = 0x53544F4C454EUL;       // "STOLEN"
    private const ulong BindTag = 0x42494E44UL;             // "BIND"
    private const ulong ImsiTag = 0x494D5349UL;             // "IMSI"
    private const ulong ExtraTag = 0x4558545241UL;          // "EXTRA"
    private const ulong CloneTag = 0x434C4F4E45UL;          // "CLONE"

    /// <summary>Reporting-body prefixes of generated TACs with their weights (35 BABT, 86 TAF China, 01 CTIA, 49 BABT).</summary>
    private static readonly (int Prefix, double Weight)[] TacPrefixes = [(35, 0.55), (86, 0.35), (1, 0.06), (49, 0.04)];

    private readonly long[] _tacs;
    private readonly int[] _devices;
    private readonly long[] _firstDeviceId;
    private readonly bool[] _neighbourDual;
    private readonly long[] _cloneImeis;
    private readonly int[] _cloneBindings;

    public NationalDataSet(DataSetOptions options)
    {
        options.Validate();
        Options = options;
        Subscribers = new Subscribers(options.Seed, options.SubscriberCount);
        var rng = Rng.ForStream(options.Seed, ulong.MaxValue);

        var count = options.EffectiveTacCount;
        _tacs = DrawTacs(ref rng, count);
        _neighbourDual = new bool[count];
        for (var i = 0; i < count; i++)
        {
            _neighbourDual[i] = rng.Chance(options.NeighbourTacDualShare);
        }

        // Popularity rank is independent of the TAC value: a random permutation.
        var rank = new int[count];
        for (var i = 0; i < count; i++)
        {
            rank[i] = i + 1;
        }

        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)rng.NextLong(i + 1);
            (rank[i], rank[j]) = (rank[j], rank[i]);
        }

        _devices = Apportion(options.Devices, rank, options.ZipfExponent, options.MaxDevicesPerTac);
        _firstDeviceId = new long[count];
        long next = 1;
        for (var i = 0; i < count; i++)
        {
            _firstDeviceId[i] = next;
            next += _devices[i];
        }

        (_cloneImeis, _cloneBindings) = DrawClones(ref rng, rank);
    }

    public DataSetOptions Options { get; }

    /// <summary>The home subscribers and the IMSI→MSISDN map.</summary>
    public Subscribers Subscribers { get; }

    /// <summary>TACs in use, ascending (each also owns TAC+1 for neighbouring-TAC dual devices).</summary>
    public ReadOnlySpan<long> Tacs => _tacs;

    /// <summary>Registered devices per TAC (same order as <see cref="Tacs"/>).</summary>
    public ReadOnlySpan<int> DevicesPerTac => _devices;

    /// <summary>The clone IMEIs, the null IMEI (0) first; none is registered.</summary>
    public ReadOnlySpan<long> CloneImeis => _cloneImeis;

    /// <summary>Binding records generated for each clone IMEI (before duplicates are merged by the index).</summary>
    public ReadOnlySpan<int> CloneBindingCounts => _cloneBindings;

    /// <summary>Generates the units of TAC number <paramref name="tacIndex"/> into <paramref name="batch"/>.</summary>
    public void Generate(int tacIndex, TacBatch batch)
    {
        var o = Options;
        batch.Reset(tacIndex, _tacs[tacIndex], _firstDeviceId[tacIndex]);
        var target = _devices[tacIndex];
        if (target == 0)
        {
            return;
        }

        var rng = Rng.ForStream(o.Seed, (ulong)tacIndex);
        var neighbour = _neighbourDual[tacIndex];
        var meanSold = (o.SoldFractionMin + o.SoldFractionMax) / 2;
        var meanSlotsPerUnit = neighbour ? 1.0 : 1.0 + o.DualImeiFraction;
        var logMin = Math.Log(o.LotMinDevices);
        var logMax = Math.Log(o.LotMaxDevices + 1);
        var meanLot = o.LotMaxDevices == o.LotMinDevices ? o.LotMinDevices : (o.LotMaxDevices - o.LotMinDevices) / (logMax - logMin);

        var cursor = ReservedSnrs;
        var registered = 0;
        while (registered < target)
        {
            // Gaps between lots spread what the remaining demand leaves of the SNR space. The reserve is the space
            // left beyond the worst case of the remaining demand (every unit dual, every lot sold whole); gaps never
            // eat into it, and once it is down to a few lots' worth, lots are sold whole and packed, which never
            // shrinks it. So a TAC under the cap always fits its 10^6 SNRs.
            var remainingUnits = (target - registered) * (1 + o.AmnestyFraction);
            var remainingSpace = TacBatch.SnrSpace - cursor;
            var reserve = remainingSpace - (remainingUnits * 2.2);
            var floor = 4.0 * (o.LotMaxDevices + 16);
            var tight = reserve < 2 * floor;
            var dual = rng.Chance(o.DualImeiFraction);
            var slotsPerUnit = dual && !neighbour ? 2 : 1;
            var lot = (int)Math.Exp(logMin + (rng.NextDouble() * (logMax - logMin)));
            var sold = o.SoldFractionMin + (rng.NextDouble() * (o.SoldFractionMax - o.SoldFractionMin));
            var gapRoll = rng.NextDouble();
            if (tight)
            {
                sold = 1.0;
            }
            else
            {
                var spanNeeded = remainingUnits * meanSlotsPerUnit / meanSold;
                var lotsLeft = Math.Max(1.0, remainingUnits / (meanLot * meanSold));
                var meanGap = Math.Max(0.0, (remainingSpace - spanNeeded) / (lotsLeft + 1));
                cursor += (int)Math.Min(gapRoll * 2 * meanGap, reserve - (2 * floor));
            }

            var kind = dual ? UnitKind.Dual | (neighbour ? UnitKind.NeighbourTac : 0) : UnitKind.Single;
            for (var u = 0; u < lot && registered < target; u++)
            {
                var snr = cursor + (u * slotsPerUnit);
                if (snr + slotsPerUnit > TacBatch.SnrSpace)
                {
                    throw new InvalidOperationException($"TAC {_tacs[tacIndex]} ran out of SNRs with {target - registered} devices left; lower MaxDevicesPerTac.");
                }

                if (!rng.Chance(sold))
                {
                    continue;
                }

                if (rng.Chance(o.AmnestyFraction))
                {
                    batch.Add(snr, kind | UnitKind.Amnesty);
                }
                else
                {
                    batch.Add(snr, kind);
                    registered++;
                }
            }

            cursor += lot * slotsPerUnit;
        }
    }

    /// <summary>Every registered device with its id and IMEIs, TAC by TAC (ids ascend).</summary>
    public IEnumerable<RegisteredDevice> Devices()
    {
        var batch = new TacBatch();
        for (var t = 0; t < _tacs.Length; t++)
        {
            Generate(t, batch);
            var id = batch.FirstDeviceId;
            for (var u = 0; u < batch.Count; u++)
            {
                if ((batch.Kinds[u] & UnitKind.Amnesty) == 0)
                {
                    yield return new RegisteredDevice(id++, batch.Imei1(u), batch.Imei2(u));
                }
            }
        }
    }

    /// <summary>Every registered IMEI key, ascending, in one array (800 MB for 100 M keys, nothing else kept).</summary>
    public long[] RegisteredKeysSorted()
    {
        var capacity = (long)(Options.Devices * (1 + Options.DualImeiFraction) * 1.02) + 65_536;
        var keys = GC.AllocateUninitializedArray<long>((int)Math.Min(capacity, Array.MaxLength));
        var n = 0;
        var batch = new TacBatch();
        for (var t = 0; t < _tacs.Length; t++)
        {
            Generate(t, batch);
            if (n + (2 * batch.Count) > keys.Length)
            {
                Array.Resize(ref keys, (int)Math.Min((long)keys.Length * 5 / 4 + (2 * batch.Count), Array.MaxLength));
            }

            n += WriteRegisteredKeys(batch, keys.AsSpan(n));
        }

        return n == keys.Length ? keys : keys.AsSpan(0, n).ToArray();
    }

    /// <summary>
    /// Writes the registered IMEI keys of one generated TAC in ascending order: the TAC's own keys, then the
    /// second IMEIs that live in TAC+1. Returns how many.
    /// </summary>
    public static int WriteRegisteredKeys(TacBatch batch, Span<long> destination)
    {
        var n = 0;
        var basis = batch.Tac * TacBatch.SnrSpace;
        var snrs = batch.Snrs;
        var kinds = batch.Kinds;
        var anyNeighbour = false;
        for (var u = 0; u < snrs.Length; u++)
        {
            var kind = kinds[u];
            if ((kind & UnitKind.Amnesty) != 0)
            {
                continue;
            }

            destination[n++] = basis + snrs[u];
            if ((kind & (UnitKind.Dual | UnitKind.NeighbourTac)) == UnitKind.Dual)
            {
                destination[n++] = basis + snrs[u] + 1;
            }

            anyNeighbour |= (kind & UnitKind.NeighbourTac) != 0;
        }

        if (anyNeighbour)
        {
            var next = basis + TacBatch.SnrSpace;
            for (var u = 0; u < snrs.Length; u++)
            {
                if ((kinds[u] & (UnitKind.NeighbourTac | UnitKind.Amnesty)) == UnitKind.NeighbourTac)
                {
                    destination[n++] = next + snrs[u];
                }
            }
        }

        return n;
    }

    /// <summary>Whether the registered device whose first IMEI is <paramref name="imei1"/> is reported stolen.</summary>
    public bool IsStolenDevice(long imei1) => Rng.Unit(Options.Seed, StolenTag, imei1) < Options.StolenFraction;

    /// <summary>Every stolen IMEI (both IMEIs of a stolen device), with its case number.</summary>
    public IEnumerable<StolenImei> Stolen()
    {
        long caseNumber = 0;
        foreach (var d in Devices())
        {
            if (!IsStolenDevice(d.Imei1))
            {
                continue;
            }

            caseNumber++;
            yield return new StolenImei(d.Imei1, caseNumber);
            if (d.IsDual)
            {
                yield return new StolenImei(d.Imei2, caseNumber);
            }
        }
    }

    /// <summary>
    /// Every binding record: the amnesty IMEIs of the shipment lots (one number, sometimes two; both IMEIs of a
    /// dual device bound alike), then the clone clusters (the null IMEI first), thousands of numbers each.
    /// </summary>
    public IEnumerable<Binding> Bindings()
    {
        var batch = new TacBatch();
        for (var t = 0; t < _tacs.Length; t++)
        {
            Generate(t, batch);
            for (var u = 0; u < batch.Count; u++)
            {
                if ((batch.Kinds[u] & UnitKind.Amnesty) == 0)
                {
                    continue;
                }

                var imei1 = batch.Imei1(u);
                var imei2 = batch.Imei2(u);
                var subscribers = AmnestySubscribers(imei1, out var second);
                for (var s = 0; s < subscribers; s++)
                {
                    var b = AmnestyBinding(imei1, s == 0 ? AmnestySubscriber(imei1) : second);
                    yield return b;
                    if (imei2 >= 0)
                    {
                        yield return b with { Imei = imei2 };
                    }
                }
            }
        }

        for (var c = 0; c < _cloneImeis.Length; c++)
        {
            for (var r = 0; r < _cloneBindings[c]; r++)
            {
                yield return CloneBinding(c, r);
            }
        }
    }

    /// <summary>The subscriber an amnesty IMEI was first bound to.</summary>
    public long AmnestySubscriber(long imei1) => (long)(Rng.Mix(Options.Seed ^ BindTag ^ Rng.Mix((ulong)imei1)) % (ulong)Subscribers.Count);

    /// <summary>How many subscribers (1 or 2) an amnesty device is bound to, and the second one.</summary>
    public int AmnestySubscribers(long imei1, out long second)
    {
        if (Rng.Unit(Options.Seed, ExtraTag, imei1) < Options.ExtraBindingChance)
        {
            second = (long)(Rng.Mix(Options.Seed ^ ExtraTag ^ Rng.Mix((ulong)imei1 + 1)) % (ulong)Subscribers.Count);
            return second == AmnestySubscriber(imei1) ? 1 : 2;
        }

        second = -1;
        return 1;
    }

    /// <summary>The binding record of an amnesty IMEI with subscriber <paramref name="subscriber"/>.</summary>
    public Binding AmnestyBinding(long imei, long subscriber)
    {
        var withImsi = Rng.Unit(Options.Seed, ImsiTag, imei ^ (subscriber << 20)) < Options.BindingImsiShare;
        return new Binding(imei, Subscribers.Msisdn(subscriber), withImsi ? Subscribers.ImsiKey(subscriber) : 0, subscriber);
    }

    /// <summary>Record <paramref name="record"/> of clone number <paramref name="clone"/>.</summary>
    public Binding CloneBinding(int clone, int record)
    {
        var key = ((long)clone << 40) | (uint)record;
        var subscriber = (long)(Rng.Mix(Options.Seed ^ CloneTag ^ Rng.Mix((ulong)key)) % (ulong)Subscribers.Count);
        var withImsi = Rng.Unit(Options.Seed, ImsiTag, key) < Options.BindingImsiShare;
        return new Binding(_cloneImeis[clone], Subscribers.Msisdn(subscriber), withImsi ? Subscribers.ImsiKey(subscriber) : 0, subscriber);
    }

    /// <summary>Counts everything with one walk over the TACs.</summary>
    public DataSetSummary Summarize()
    {
        long devices = 0, dual = 0, registeredImeis = 0, amnestyImeis = 0, bindings = 0, stolen = 0;
        var batch = new TacBatch();
        for (var t = 0; t < _tacs.Length; t++)
        {
            Generate(t, batch);
            for (var u = 0; u < batch.Count; u++)
            {
                var kind = batch.Kinds[u];
                var imeis = (kind & UnitKind.Dual) != 0 ? 2 : 1;
                if ((kind & UnitKind.Amnesty) != 0)
                {
                    amnestyImeis += imeis;
                    bindings += imeis * AmnestySubscribers(batch.Imei1(u), out _);
                }
                else
                {
                    devices++;
                    dual += imeis - 1;
                    registeredImeis += imeis;
                    if (IsStolenDevice(batch.Imei1(u)))
                    {
                        stolen += imeis;
                    }
                }
            }
        }

        foreach (var c in _cloneBindings)
        {
            bindings += c;
        }

        return new DataSetSummary(devices, dual, registeredImeis, amnestyImeis, _cloneImeis.Length, bindings, stolen, Subscribers.Count, _tacs.Length);
    }

    private static long[] DrawTacs(ref Rng rng, int count)
    {
        var seen = new HashSet<long>(count);
        var tacs = new long[count];
        var n = 0;
        while (n < count)
        {
            var u = rng.NextDouble();
            var prefix = TacPrefixes[^1].Prefix;
            foreach (var (p, w) in TacPrefixes)
            {
                if (u < w)
                {
                    prefix = p;
                    break;
                }

                u -= w;
            }

            // Even TACs only: TAC+1 is reserved for the second IMEI of neighbouring-TAC dual devices.
            var tac = (prefix * 1_000_000L) + (rng.NextLong(500_000) * 2);
            if (seen.Add(tac))
            {
                tacs[n++] = tac;
            }
        }

        Array.Sort(tacs);
        return tacs;
    }

    /// <summary>
    /// Devices per TAC: Zipf weights 1/rank^s, water-filled under the per-TAC cap (a capped TAC's excess goes to
    /// the others in proportion), then rounded by largest remainders so they sum exactly to the total.
    /// </summary>
    private static int[] Apportion(long total, int[] rank, double exponent, int cap)
    {
        var n = rank.Length;
        var weight = new double[n];
        for (var i = 0; i < n; i++)
        {
            weight[i] = 1.0 / Math.Pow(rank[i], exponent);
        }

        var capped = new bool[n];
        var share = new double[n];
        double remaining = total;
        while (true)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                if (!capped[i])
                {
                    sum += weight[i];
                }
            }

            var changed = false;
            for (var i = 0; i < n; i++)
            {
                if (!capped[i] && remaining * weight[i] / sum > cap)
                {
                    capped[i] = true;
                    remaining -= cap;
                    changed = true;
                }
            }

            if (!changed)
            {
                for (var i = 0; i < n; i++)
                {
                    share[i] = capped[i] ? cap : remaining * weight[i] / sum;
                }

                break;
            }
        }

        var devices = new int[n];
        long assigned = 0;
        for (var i = 0; i < n; i++)
        {
            devices[i] = (int)Math.Floor(share[i]);
            assigned += devices[i];
        }

        var order = Enumerable.Range(0, n).Where(i => !capped[i]).OrderByDescending(i => share[i] - Math.Floor(share[i])).ThenBy(i => i).ToArray();
        for (var k = 0; assigned < total; k++)
        {
            devices[order[k % order.Length]]++;
            assigned++;
        }

        return devices;
    }

    /// <summary>
    /// The null IMEI, a classic made-up IMEI, then IMEIs copied from the most popular TACs with SNRs below 1 000
    /// (a range no lot uses), so no clone is registered.
    /// </summary>
    private (long[] Imeis, int[] Bindings) DrawClones(ref Rng rng, int[] rank)
    {
        var o = Options;
        var count = 1 + Math.Max(0, o.CloneCount);
        var imeis = new long[count];
        var bindings = new int[count];
        var byPopularity = Enumerable.Range(0, _tacs.Length).OrderBy(i => rank[i]).ToArray();
        for (var k = 0; k < count; k++)
        {
            imeis[k] = k switch
            {
                0 => 0,
                1 => 12_345_678_901_234,
                _ => (_tacs[byPopularity[(k - 2) % byPopularity.Length]] * TacBatch.SnrSpace) + 1 + rng.NextLong(ReservedSnrs - 1),
            };
            bindings[k] = Math.Max(1_000, (int)(o.EffectiveNullImeiBindings / Math.Pow(k + 1, 0.7)));
        }

        return (imeis, bindings);
    }
}
