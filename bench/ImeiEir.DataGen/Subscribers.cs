using ImeiEir.Core.Identifiers;

namespace ImeiEir.DataGen;

/// <summary>A home subscriber: IMSI key (as <see cref="Imsi.Key"/>) and full MSISDN.</summary>
public readonly record struct Subscriber(long Index, long ImsiKey, long Msisdn);

/// <summary>
/// The home subscribers as a pure function of their index 0..S-1: no table is stored, so any part of the data set
/// can name a subscriber by index and the IMSI→MSISDN map is always consistent with it.
/// Numbers: <c>996</c> + a 3-digit code from 200-299, 500-599, 700-799, 900-999 + 6 digits, spread over that space
/// by an affine permutation (so consecutive indexes are not consecutive numbers). IMSIs: 437 + MNC 01 (Beeline,
/// 42 %), 05 (MegaCom, 35 %) or 09 (O!, 23 %) + a 10-digit MSIN, also permuted. Number portability is why the code
/// says nothing about the operator.
/// </summary>
public sealed class Subscribers
{
    /// <summary>Distinct national numbers of the plan: 400 codes × 10^6.</summary>
    public const long NumberSpace = 400_000_000;

    private const long MsinSpace = 10_000_000_000;
    private const ulong NumberMultiplier = 254_435_761;      // odd, not a multiple of 5: coprime with 4·10^8
    private const ulong MsinMultiplier = 6_364_136_223;      // odd, not a multiple of 5: coprime with 10^10
    private const ulong OperatorTag = 0x4F50455241544F52;    // "OPERATOR"
    private static readonly int[] CodeBlocks = [200, 500, 700, 900];

    private readonly ulong _seed;
    private readonly ulong _numberOffset;
    private readonly ulong _msinOffset;

    internal Subscribers(ulong seed, long count)
    {
        _seed = seed;
        Count = count;
        _numberOffset = Rng.Mix(seed ^ 0x4E554D424552UL) % NumberSpace;
        _msinOffset = Rng.Mix(seed ^ 0x4D53494EUL) % MsinSpace;
    }

    /// <summary>Number of home subscribers.</summary>
    public long Count { get; }

    /// <summary>The MSISDN of subscriber <paramref name="index"/>, e.g. 996755123456.</summary>
    public long Msisdn(long index)
    {
        var slot = (long)(((UInt128)(ulong)index * NumberMultiplier + _numberOffset) % NumberSpace);
        var code = CodeBlocks[slot / 100_000_000] + (int)(slot / 1_000_000 % 100);
        return 996_000_000_000L + (code * 1_000_000L) + (slot % 1_000_000);
    }

    /// <summary>The MNC (1, 5 or 9) of subscriber <paramref name="index"/>.</summary>
    public int Mnc(long index)
    {
        var u = Rng.Unit(_seed, OperatorTag, index);
        return u < 0.42 ? 1 : u < 0.77 ? 5 : 9;
    }

    /// <summary>The 15 IMSI digits of subscriber <paramref name="index"/>: 437, MNC, MSIN.</summary>
    public long ImsiDigits(long index)
    {
        var msin = (long)(((UInt128)(ulong)index * MsinMultiplier + _msinOffset) % MsinSpace);
        return (437L * 1_000_000_000_000) + (Mnc(index) * MsinSpace) + msin;
    }

    /// <summary>The IMSI key (<see cref="Imsi.Key"/>) of subscriber <paramref name="index"/>.</summary>
    public long ImsiKey(long index) => Imsi.FromDigits(ImsiDigits(index), 15).Key;

    public Subscriber Get(long index) => new(index, ImsiKey(index), Msisdn(index));

    /// <summary>Every subscriber, by index (not sorted by IMSI).</summary>
    public IEnumerable<Subscriber> All()
    {
        for (long i = 0; i < Count; i++)
        {
            yield return Get(i);
        }
    }
}
