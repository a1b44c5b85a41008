using System.Globalization;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Policy;

namespace ImeiEir.DataGen;

/// <summary>What a generated request exercises.</summary>
public enum RequestCategory : byte
{
    /// <summary>A registered (not stolen) IMEI with any home SIM: ALLOW, registered.</summary>
    Registered,
    /// <summary>An amnesty or clone IMEI with a bound subscriber (by MSISDN, IMSI, or the IMSI's mapped MSISDN): ALLOW, bound.</summary>
    Bound,
    /// <summary>An amnesty IMEI with a home subscriber it is not bound to: ALLOW (GREYLISTED), number-switch grace.</summary>
    Grace,
    /// <summary>An unknown IMEI with a foreign IMSI or number: ALLOW, roaming exempt.</summary>
    Roaming,
    /// <summary>A stolen IMEI, home or roaming SIM: DENY, stolen.</summary>
    Stolen,
    /// <summary>An IMEI neither registered nor bound, home SIM: DENY, not registered.</summary>
    Unknown,
    /// <summary>A malformed IMEI, MSISDN or IMSI: INVALID_ARGUMENT naming the field.</summary>
    Malformed,
}

/// <summary>The answer a correct node gives; <see cref="InvalidField"/> is set (and the rest unspecified) for a malformed request.</summary>
public readonly record struct ExpectedOutcome(Verdict Verdict, EquipmentStatus Status, Reason Reason, CheckField InvalidField)
{
    public bool IsError => InvalidField != CheckField.None;

    /// <summary>Whether a node's result matches this expectation.</summary>
    public bool Matches(in CheckResult result) => IsError
        ? result.InvalidField == InvalidField
        : result.IsValid && result.Decision.Verdict == Verdict && result.Decision.Status == Status && result.Decision.Reason == Reason;
}

/// <summary>One check as a client sends it (absent fields are empty strings), with the answer expected.</summary>
public sealed record CheckRequest(RequestCategory Category, string Imei, string Msisdn, string Imsi, ExpectedOutcome Expected);

/// <summary>The proportions of a request mix; they are normalised, so they need not sum to 1.</summary>
public sealed record RequestMixOptions
{
    /// <summary>Seed of the request sequence (independent of the data set's). Default 7.</summary>
    public ulong Seed { get; init; } = 7;

    /// <summary>Default 0.70: most checks are ordinary registered phones.</summary>
    public double Registered { get; init; } = 0.70;

    /// <summary>Default 0.10.</summary>
    public double Bound { get; init; } = 0.10;

    /// <summary>Default 0.03.</summary>
    public double Grace { get; init; } = 0.03;

    /// <summary>Default 0.05.</summary>
    public double Roaming { get; init; } = 0.05;

    /// <summary>Default 0.02.</summary>
    public double Stolen { get; init; } = 0.02;

    /// <summary>Default 0.08.</summary>
    public double Unknown { get; init; } = 0.08;

    /// <summary>Default 0.02.</summary>
    public double Malformed { get; init; } = 0.02;

    /// <summary>
    /// One home SIM per IMEI (default false: a random subscriber each check). True: a registered or unknown IMEI is
    /// always checked with the subscriber a hash of the IMEI picks, and a clone IMEI only with its first bound
    /// subscriber, as real devices mostly keep one SIM a day; no check then looks like a clone (an event mix where
    /// only the category meant to raise events does).
    /// </summary>
    public bool OneSimPerImei { get; init; }

    /// <summary>IMEIs sampled per pool (registered, stolen, bound) by the one walk over the data set. Default 65 536.</summary>
    public int PoolSize { get; init; } = 65_536;
}

/// <summary>
/// Generates checks against a <see cref="NationalDataSet"/> in stated proportions, each with the verdict a correct
/// node must give (assuming the amnesty window is closed, no number switch happened during the run, and the run
/// is shorter than the grace). Building it walks the data set once to sample IMEIs; generating is cheap.
/// </summary>
public sealed class RequestMix
{
    private static readonly int[] ForeignMccs = [250, 401, 434, 286, 262];     // RU, KZ, UZ, TR, DE
    private static readonly string[] ForeignNumbers = ["7701", "7705", "99890", "90532", "4915"];

    private readonly NationalDataSet _data;
    private readonly RequestMixOptions _options;
    private readonly double[] _cumulative;
    private readonly long[] _registered;
    private readonly long[] _stolen;
    private readonly (long Imei, long Subscriber, bool Clone)[] _bound;
    private readonly HashSet<long> _clones;
    private readonly bool _hasAmnesty;

    public RequestMix(NationalDataSet data, RequestMixOptions? options = null)
    {
        _data = data;
        _options = options ?? new RequestMixOptions();
        var o = _options;
        double[] weights = [o.Registered, o.Bound, o.Grace, o.Roaming, o.Stolen, o.Unknown, o.Malformed];
        var sum = weights.Sum();
        _cumulative = new double[weights.Length];
        double acc = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            acc += weights[i] / sum;
            _cumulative[i] = acc;
        }

        _clones = [.. data.CloneImeis.ToArray()];
        (_registered, _stolen, _bound) = Sample(data, o.PoolSize);
        if (o.OneSimPerImei)
        {
            // A clone IMEI is bound to many subscribers: keep its first record only.
            var seen = new HashSet<long>();
            _bound = [.. _bound.Where(b => seen.Add(b.Imei))];
        }

        _hasAmnesty = _bound.Any(b => !b.Clone);
    }

    /// <summary>Category proportions after normalisation, in enum order.</summary>
    public IReadOnlyList<double> Proportions => [.. _cumulative.Select((c, i) => i == 0 ? c : c - _cumulative[i - 1])];

    /// <summary>An endless-by-count, deterministic sequence of requests.</summary>
    public IEnumerable<CheckRequest> Generate(long count)
    {
        var rng = Rng.ForStream(_options.Seed, 0x4D4958);
        for (long i = 0; i < count; i++)
        {
            yield return Next(ref rng);
        }
    }

    /// <summary>The first <paramref name="count"/> requests as an array.</summary>
    public CheckRequest[] Take(int count) => [.. Generate(count)];

    private CheckRequest Next(ref Rng rng)
    {
        var u = rng.NextDouble();
        var category = RequestCategory.Malformed;
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (u < _cumulative[i])
            {
                category = (RequestCategory)i;
                break;
            }
        }

        // A pool can be empty in a tiny data set: fall back to a category that always has data.
        if ((category == RequestCategory.Stolen && _stolen.Length == 0) || (category == RequestCategory.Bound && _bound.Length == 0) ||
            (category == RequestCategory.Grace && !_hasAmnesty) ||
            (category == RequestCategory.Registered && _registered.Length == 0))
        {
            category = RequestCategory.Unknown;
        }

        switch (category)
        {
            case RequestCategory.Registered:
            {
                var imei = _registered[rng.NextLong(_registered.Length)];
                var (msisdn, imsi) = HomeSim(ref rng, SubscriberOf(ref rng, imei));
                return new CheckRequest(category, ImeiText(ref rng, imei), msisdn, imsi, Allow(Reason.Registered));
            }

            case RequestCategory.Bound:
            {
                var (imei, subscriber, _) = _bound[rng.NextLong(_bound.Length)];
                var (msisdn, imsi) = HomeSim(ref rng, subscriber);
                return new CheckRequest(category, ImeiText(ref rng, imei), msisdn, imsi, Allow(Reason.BoundSubscriber));
            }

            case RequestCategory.Grace:
            {
                long imei, other;
                do
                {
                    (imei, _, var clone) = _bound[rng.NextLong(_bound.Length)];
                    if (clone)
                    {
                        continue;
                    }

                    var first = _data.AmnestySubscriber(imei);
                    _data.AmnestySubscribers(imei, out var second);
                    other = rng.NextLong(_data.Subscribers.Count);
                    if (other != first && other != second)
                    {
                        break;
                    }
                }
                while (true);

                var (msisdn, imsi) = HomeSim(ref rng, other);
                return new CheckRequest(category, ImeiText(ref rng, imei), msisdn, imsi,
                    new ExpectedOutcome(Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace, CheckField.None));
            }

            case RequestCategory.Roaming:
            {
                var (msisdn, imsi) = ForeignSim(ref rng);
                return new CheckRequest(category, ImeiText(ref rng, UnknownImei(ref rng)), msisdn, imsi, Allow(Reason.RoamingExempt));
            }

            case RequestCategory.Stolen:
            {
                var imei = _stolen[rng.NextLong(_stolen.Length)];
                var (msisdn, imsi) = rng.Chance(0.2) ? ForeignSim(ref rng) : HomeSim(ref rng, rng.NextLong(_data.Subscribers.Count));
                return new CheckRequest(category, ImeiText(ref rng, imei), msisdn, imsi, Deny(Reason.Stolen));
            }

            case RequestCategory.Unknown:
            {
                if (_options.OneSimPerImei)
                {
                    var imei = UnknownImei(ref rng);
                    var (m, i) = HomeSim(ref rng, SubscriberOf(ref rng, imei));
                    return new CheckRequest(category, ImeiText(ref rng, imei), m, i, Deny(Reason.NotRegistered));
                }

                var (msisdn, imsi) = HomeSim(ref rng, rng.NextLong(_data.Subscribers.Count));
                return new CheckRequest(category, ImeiText(ref rng, UnknownImei(ref rng)), msisdn, imsi, Deny(Reason.NotRegistered));
            }

            default:
                return Malformed(ref rng);
        }
    }

    private static ExpectedOutcome Allow(Reason reason) => new(Verdict.Allow, EquipmentStatus.Whitelisted, reason, CheckField.None);

    private static ExpectedOutcome Deny(Reason reason) => new(Verdict.Deny, EquipmentStatus.Blacklisted, reason, CheckField.None);

    /// <summary>The subscriber checking <paramref name="imei"/>: a random one, or with <see cref="RequestMixOptions.OneSimPerImei"/> the one a hash of the IMEI picks.</summary>
    private long SubscriberOf(ref Rng rng, long imei)
    {
        if (!_options.OneSimPerImei)
        {
            return rng.NextLong(_data.Subscribers.Count);
        }

        var h = (ulong)imei * 0x9E3779B97F4A7C15UL;
        return (long)((h ^ (h >> 31)) % (ulong)_data.Subscribers.Count);
    }

    /// <summary>A SIM of subscriber <paramref name="index"/>: MSISDN and IMSI (50 %), IMSI only (35 %, as S13 and N5g-eir send), MSISDN only (15 %).</summary>
    private (string Msisdn, string Imsi) HomeSim(ref Rng rng, long index)
    {
        var u = rng.NextDouble();
        var withMsisdn = u < 0.50 || u >= 0.85;
        var withImsi = u < 0.85;
        return (withMsisdn ? MsisdnText(ref rng, _data.Subscribers.Msisdn(index)) : "", withImsi ? ImsiText(ref rng, _data.Subscribers.ImsiDigits(index)) : "");
    }

    private static (string Msisdn, string Imsi) ForeignSim(ref Rng rng)
    {
        var k = (int)rng.NextLong(ForeignMccs.Length);
        var number = ForeignNumbers[k] + rng.NextLong(1_000_000, 10_000_000).ToString(CultureInfo.InvariantCulture);
        var imsi = (ForeignMccs[k] * 1_000_000_000_000L) + (rng.NextLong(1, 100) * 10_000_000_000L) + rng.NextLong(10_000_000_000L);
        var u = rng.NextDouble();
        return u < 0.6 ? ("", imsi.ToString(CultureInfo.InvariantCulture))
            : u < 0.8 ? ("+" + number, imsi.ToString(CultureInfo.InvariantCulture))
            : (number, "");
    }

    /// <summary>An IMEI that is surely neither registered nor bound: a used TAC's SNR below 1 000 (no lot ships there, clones excepted), or a TAC of reporting body 98 (never generated).</summary>
    private long UnknownImei(ref Rng rng)
    {
        while (true)
        {
            var tacs = _data.Tacs;
            var key = rng.Chance(0.5)
                ? (tacs[(int)rng.NextLong(tacs.Length)] * 1_000_000) + rng.NextLong(1_000)
                : (98_000_000L + rng.NextLong(1_000_000)) * 1_000_000 + rng.NextLong(1_000_000);
            if (!_clones.Contains(key))
            {
                return key;
            }
        }
    }

    private static string ImeiText(ref Rng rng, long key)
    {
        var digits14 = key.ToString("D14", CultureInfo.InvariantCulture);
        var u = rng.NextDouble();
        var luhn = (char)('0' + ImeiParser.LuhnCheckDigit(key));
        var sv = rng.NextLong(100).ToString("D2", CultureInfo.InvariantCulture);
        return u switch
        {
            < 0.40 => digits14,
            < 0.80 => digits14 + luhn,
            < 0.90 => digits14 + sv,
            < 0.95 => "imei-" + digits14 + luhn,
            _ => "imeisv-" + digits14 + sv,
        };
    }

    private static string MsisdnText(ref Rng rng, long msisdn)
    {
        var s = msisdn.ToString(CultureInfo.InvariantCulture);
        var u = rng.NextDouble();
        return u switch
        {
            < 0.6 => s,
            < 0.8 => "+" + s,
            < 0.9 => s[3..],
            _ => "msisdn-" + s,
        };
    }

    private static string ImsiText(ref Rng rng, long digits)
    {
        var s = digits.ToString("D15", CultureInfo.InvariantCulture);
        return rng.Chance(0.8) ? s : "imsi-" + s;
    }

    private CheckRequest Malformed(ref Rng rng)
    {
        var valid = _registered.Length > 0 ? _registered[rng.NextLong(_registered.Length)] : 35_209_900_176_148L;
        var imei = valid.ToString("D14", CultureInfo.InvariantCulture);
        var home = _data.Subscribers.ImsiDigits(0).ToString("D15", CultureInfo.InvariantCulture);
        (string Imei, string Msisdn, string Imsi, CheckField Field) t = rng.NextLong(12) switch
        {
            0 => ("", "", home, CheckField.Imei),
            1 => ("12345", "", home, CheckField.Imei),
            2 => ("3520990017614x", "", home, CheckField.Imei),
            3 => ("mac-00-1B-63-84-45-E6", "", home, CheckField.Imei),
            4 => ("35209900176148234", "", home, CheckField.Imei),
            5 => ("imei-3520990017614823", "", home, CheckField.Imei),
            6 => (imei, "0700123456", "", CheckField.Msisdn),
            7 => (imei, "+99670012", "", CheckField.Msisdn),
            8 => (imei, "99670012345a", "", CheckField.Msisdn),
            9 => (imei, "", "4370", CheckField.Imsi),
            10 => (imei, "", "4370112345678901", CheckField.Imsi),
            _ => (imei, "", "imsi-43701abc", CheckField.Imsi),
        };
        return new CheckRequest(RequestCategory.Malformed, t.Imei, t.Msisdn, t.Imsi,
            new ExpectedOutcome(Verdict.Unspecified, EquipmentStatus.Unspecified, Reason.InvalidRequest, t.Field));
    }

    /// <summary>One walk: keeps each registered, stolen and amnesty IMEI with the probability that fills its pool.</summary>
    private static (long[], long[], (long, long, bool)[]) Sample(NationalDataSet data, int poolSize)
    {
        var o = data.Options;
        var registeredImeis = o.Devices * (1 + o.DualImeiFraction);
        var pRegistered = Math.Min(1.0, poolSize / registeredImeis);
        var pStolen = Math.Min(1.0, poolSize / Math.Max(1.0, registeredImeis * o.StolenFraction));
        var pBound = Math.Min(1.0, poolSize / Math.Max(1.0, registeredImeis * o.AmnestyFraction));
        var rng = Rng.ForStream(o.Seed, 0x504F4F4C);
        var registered = new List<long>();
        var stolen = new List<long>();
        var bound = new List<(long, long, bool)>();
        var batch = new TacBatch();
        for (var t = 0; t < data.Tacs.Length; t++)
        {
            data.Generate(t, batch);
            for (var u = 0; u < batch.Count; u++)
            {
                var imei1 = batch.Imei1(u);
                if ((batch.Kinds[u] & UnitKind.Amnesty) != 0)
                {
                    // The first IMEI only: the grace check derives the bound subscribers from it.
                    if (rng.Chance(pBound))
                    {
                        bound.Add((imei1, data.AmnestySubscriber(imei1), false));
                    }

                    continue;
                }

                var isStolen = data.IsStolenDevice(imei1);
                if (isStolen ? rng.Chance(pStolen) : rng.Chance(pRegistered))
                {
                    var imei = batch.Imei2(u) >= 0 && rng.Chance(0.5) ? batch.Imei2(u) : imei1;
                    (isStolen ? stolen : registered).Add(imei);
                }
            }
        }

        // Clone clusters: a few of each clone's records (the bound answer holds for every one of them).
        for (var c = 0; c < data.CloneImeis.Length; c++)
        {
            for (var r = 0; r < Math.Min(64, data.CloneBindingCounts[c]); r++)
            {
                var b = data.CloneBinding(c, r);
                bound.Add((b.Imei, b.SubscriberIndex, true));
            }
        }

        return ([.. registered], [.. stolen], [.. bound]);
    }
}
