using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

public class CompactKeySetTests
{
    private const long Container = 65536;
    private const long NearMax = 999_999_999_000_000;   // close to 10^15 (IMSI keys reach ~1.6·10^16, IMEIs 10^14)

    /// <summary>Named key sets: each exercises one container kind or border, and together all of them.</summary>
    private static readonly Dictionary<string, Func<long[]>> Shapes = new()
    {
        ["empty"] = () => [],
        ["key 0 alone"] = () => [0],
        ["keys 0 and 1"] = () => [0, 1],
        ["container borders"] = () => [65535, 65536],
        ["every border of 4 containers"] = () => [0, 65535, 65536, 131071, 131072, 196607, 196608, 262143],
        ["full container 0"] = () => Range(0, Container),
        ["full container then one"] = () => [.. Range(0, Container), Container],
        ["dense range across a border"] = () => Range(60000, 20000),
        ["dense random in one container"] = () => RandomIn(1, 0, Container, 20000),
        ["dense random just above array limit"] = () => RandomIn(2, 5 * Container, Container, 4097),
        ["array limit exactly"] = () => RandomIn(3, 7 * Container, Container, 4096),
        ["sparse across containers"] = () => Step(12_345, 1_000_003, 300),
        ["sparse in one container"] = () => Step(3 * Container, 97, 500),
        ["consecutive runs"] = () => Runs(9 * Container, 20, 1000, 500),
        ["runs touching container borders"] = () => [.. Range(Container - 100, 200), .. Range((2 * Container) - 50, 100)],
        ["one long run"] = () => Range(11 * Container, 60000),
        // Skewed containers: the interpolation guess lands far from the answer and the search must gallop.
        ["skewed array"] = () => [.. Step(13 * Container, 2, 1000), .. Step((13 * Container) + 65000, 50, 10), (14 * Container) - 1],
        ["skewed runs"] = () => [.. Runs(15 * Container, 300, 2, 3), .. Runs((15 * Container) + 60000, 5, 100, 900)],
        ["runs of one and fifty"] = () => [.. Enumerable.Range(0, 200).SelectMany(i => i % 2 == 0 ? [(17 * Container) + (i * 100)] : Range((17 * Container) + (i * 100), 50))],
        ["large keys near 10^15"] = () => [.. Range(NearMax, 5000), .. Step(NearMax + (3 * Container), 17, 2000), NearMax + (50 * Container) + 65535],
        ["largest IMEI keys"] = () => Range(99_999_999_999_999 - 9999, 10000),
        ["largest long keys"] = () => [long.MaxValue - 2, long.MaxValue - 1, long.MaxValue],
        ["tac clusters"] = () => TacClusters(4),
    };

    public static TheoryData<string> ShapeNames => [.. Shapes.Keys];

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void Contains_EveryShape_AnswersLikeASortedSet(string shape)
    {
        var keys = Shapes[shape]();
        var set = CompactKeySet.FromSorted(keys);
        var model = new HashSet<long>(keys);

        Assert.Equal(keys.Length, set.Count);
        foreach (var k in keys)
        {
            Assert.True(set.Contains(k), $"{shape}: {k} missing");
            foreach (var probe in new[] { k - 1, k + 1, k - Container, k + Container, k ^ 0x8000 })
            {
                if (probe >= 0)
                {
                    Assert.Equal(model.Contains(probe), set.Contains(probe));
                }
            }
        }

        Assert.False(set.Contains(-1));
        Assert.False(set.Contains(long.MinValue));
    }

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void Rank_EveryShape_IsThePositionInSortedOrder(string shape)
    {
        var keys = Shapes[shape]();
        var set = CompactKeySet.FromSorted(keys);

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(set.Rank(keys[i], out var rank));
            Assert.Equal(i, rank);
        }

        var missing = keys.Length == 0 ? 0 : keys[^1] == long.MaxValue ? keys[0] - 1 : keys[^1] + 1;
        Assert.False(set.Rank(missing, out var none));
        Assert.Equal(0, none);
    }

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void Keys_EveryShape_RoundTripsInAscendingOrder(string shape)
    {
        var keys = Shapes[shape]();
        var set = CompactKeySet.FromSorted(keys);

        Assert.Equal(keys, set.Keys());
        Assert.Equal(keys, CompactKeySet.FromSorted([.. set.Keys()]).Keys());
    }

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void CopyKeys_EveryShapeAnyBufferSize_GivesTheKeysInOrderThenZero(string shape)
    {
        var keys = Shapes[shape]();
        var set = CompactKeySet.FromSorted(keys);

        foreach (var size in new[] { 1, 3, 64, 4095, 70_000 })
        {
            var copied = new List<long>();
            var buffer = new long[size];
            var cursor = default(CompactKeySet.KeyCursor);
            int n;
            while ((n = set.CopyKeys(ref cursor, buffer)) > 0)
            {
                copied.AddRange(buffer.AsSpan(0, n));
            }

            Assert.Equal(keys, copied);
            Assert.Equal(0, set.CopyKeys(ref cursor, buffer));
        }
    }

    [Theory]
    [InlineData("sparse in one container", 1, 0, 0)]
    [InlineData("array limit exactly", 1, 0, 0)]
    [InlineData("dense random in one container", 0, 1, 0)]
    [InlineData("dense random just above array limit", 0, 1, 0)]
    [InlineData("consecutive runs", 0, 0, 1)]
    [InlineData("one long run", 0, 0, 1)]
    [InlineData("full container 0", 0, 0, 1)]
    [InlineData("container borders", 2, 0, 0)]
    [InlineData("skewed array", 1, 0, 0)]
    [InlineData("skewed runs", 0, 0, 1)]
    [InlineData("runs of one and fifty", 0, 0, 1)]
    public void ContainerCounts_Shape_UsesTheCheapestEncoding(string shape, int arrays, int bitmaps, int runs)
    {
        var set = CompactKeySet.FromSorted(Shapes[shape]());

        Assert.Equal((arrays, bitmaps, runs), set.ContainerCounts);
    }

    [Fact]
    public void ContainerCounts_AllShapesTogether_UseEveryKind()
    {
        var all = Shapes.Values.SelectMany(f => f()).Where(k => k < NearMax).Distinct().Order().ToArray();
        var set = CompactKeySet.FromSorted(all);

        var (arrays, bitmaps, runs) = set.ContainerCounts;
        Assert.True(arrays > 0 && bitmaps > 0 && runs > 0, $"arrays {arrays}, bitmaps {bitmaps}, runs {runs}");
        for (var i = 0; i < all.Length; i++)
        {
            Assert.True(set.Rank(all[i], out var rank));
            Assert.Equal(i, rank);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(123)]
    public void Contains_RandomClusteredKeysAndProbes_AnswersLikeHashSet(int seed)
    {
        var random = new Random(seed);
        var model = new HashSet<long>();
        foreach (var tac in Enumerable.Range(0, 40).Select(_ => random.NextInt64(10_000_000, 99_999_999)))
        {
            var basis = tac * 1_000_000;
            var kind = random.Next(3);
            var n = random.Next(1, 30_000);
            for (var i = 0; i < n; i++)
            {
                model.Add(kind switch
                {
                    0 => basis + random.Next(1_000_000),          // spread over a TAC: arrays
                    1 => basis + random.Next(40_000),             // dense: bitmaps
                    _ => basis + (i / 500 * 2000) + (i % 500),    // shipped in consecutive blocks: runs
                });
            }
        }

        var sorted = model.Order().ToArray();
        var set = CompactKeySet.FromSorted(sorted);

        Assert.Equal(model.Count, set.Count);
        for (var i = 0; i < sorted.Length; i++)
        {
            Assert.True(set.Rank(sorted[i], out var rank));
            Assert.Equal(i, rank);
        }

        for (var i = 0; i < 200_000; i++)
        {
            var probe = sorted[random.Next(sorted.Length)] + random.Next(-3000, 3000);
            Assert.Equal(model.Contains(probe), set.Contains(probe));
        }
    }

    [Fact]
    public void FromUnsorted_DuplicatesAndAnyOrder_GivesTheDistinctSortedKeys()
    {
        long[] keys = [70000, 5, 65536, 5, 0, 65535, 70000, 999_999_999_999_999, 0];

        var set = CompactKeySet.FromUnsorted(keys);

        Assert.Equal(new long[] { 0, 5, 65535, 65536, 70000, 999_999_999_999_999 }, set.Keys());
        Assert.Equal(6, set.Count);
    }

    [Theory]
    [InlineData(new long[] { 5, 5 })]
    [InlineData(new long[] { 6, 5 })]
    [InlineData(new long[] { 65536, 65535 })]
    [InlineData(new long[] { -1 })]
    public void BuilderAdd_NotStrictlyAscendingOrNegative_Throws(long[] keys)
    {
        var b = new CompactKeySet.Builder();

        Assert.Throws<ArgumentException>(() =>
        {
            foreach (var k in keys)
            {
                b.Add(k);
            }
        });
    }

    [Fact]
    public void Empty_AnyKey_IsNotContained()
    {
        Assert.Equal(0, CompactKeySet.Empty.Count);
        Assert.False(CompactKeySet.Empty.Contains(0));
        Assert.False(CompactKeySet.Empty.Contains(65536));
        Assert.Empty(CompactKeySet.Empty.Keys());
    }

    [Fact]
    public void MemoryBytes_DenseTacRange_IsFarBelowEightBytesAKey()
    {
        var set = CompactKeySet.FromSorted(RandomIn(9, 35_000_000L * 1_000_000, 1_000_000, 500_000));

        // A HashSet<long> spends about 24 bytes a key; the point of this set is to spend ~1-2.
        Assert.True(set.MemoryBytes < set.Count * 3, $"{set.MemoryBytes} bytes for {set.Count} keys");
    }

    private static long[] Range(long start, long count)
    {
        var a = new long[count];
        for (var i = 0; i < count; i++)
        {
            a[i] = start + i;
        }

        return a;
    }

    private static long[] Step(long start, long step, int count) => [.. Enumerable.Range(0, count).Select(i => start + (i * step))];

    private static long[] RandomIn(int seed, long start, long width, int count)
    {
        var random = new Random(seed);
        var set = new HashSet<long>();
        while (set.Count < count)
        {
            set.Add(start + random.NextInt64(width));
        }

        return [.. set.Order()];
    }

    private static long[] Runs(long start, int runs, int length, int gap)
    {
        var list = new List<long>();
        for (var r = 0; r < runs; r++)
        {
            list.AddRange(Range(start + (r * (length + gap)), length));
        }

        return [.. list];
    }

    private static long[] TacClusters(int seed)
    {
        var random = new Random(seed);
        var set = new SortedSet<long>();
        foreach (var tac in new long[] { 35_290_611, 35_693_803, 86_123_456, 1 })
        {
            for (var i = 0; i < 3000; i++)
            {
                set.Add((tac * 1_000_000) + random.Next(200_000));
            }
        }

        return [.. set];
    }
}
