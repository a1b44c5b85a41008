using System.Numerics;
using System.Runtime.CompilerServices;

namespace ImeiEir.DataGen;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, and the same sequence on every .NET version (a seeded
/// <see cref="Random"/> only promises that for its legacy algorithm, which is several times slower).
/// A struct, so a generator lives in a local and costs no allocation.
/// </summary>
public struct Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for one independent stream, e.g. one TAC: the same (seed, stream) always gives the same numbers.</summary>
    public static Rng ForStream(ulong seed, ulong stream) => new(Mix(seed ^ Mix(stream + 0x632BE59BD9B4E019UL)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, bound) (Lemire's multiply-shift; the bias is below 2^-32 for the bounds used here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long NextLong(long bound) => (long)Math.BigMul(NextUInt64(), (ulong)bound, out _);

    /// <summary>Uniform in [min, max).</summary>
    public long NextLong(long min, long max) => min + NextLong(max - min);

    /// <summary>True with probability <paramref name="p"/>; compares 53-bit fixed point, no division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>The SplitMix64 finaliser: a bijective, well-mixing hash of 64 bits (stateless per-key decisions use it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A stateless uniform draw in [0, 1) from a key and a purpose tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Unit(ulong seed, ulong tag, long key) => (Mix(seed ^ Mix((ulong)key ^ tag)) >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }
}
