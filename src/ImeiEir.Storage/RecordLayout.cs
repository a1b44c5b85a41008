using System.Globalization;

namespace ImeiEir.Storage;

/// <summary>
/// How a store spreads device records (device id → IMEIs) and owner records (IMEI → device id) over Redis hashes.
/// Chosen when the store is created and kept in <c>&lt;prefix&gt;:layout</c>; every node follows the store's layout,
/// so a store created by an older build keeps working (docs/redis-schema.md, "Record layout").
/// </summary>
/// <param name="Version">The value of the layout key.</param>
/// <param name="DeviceBuckets">Device hashes, by XxHash3 of the device id.</param>
/// <param name="OwnerBuckets">Owner hashes by XxHash3 of the IMEI, field the IMEI; 0 for layout 1's consecutive
/// ranges (<c>imei &gt;&gt; 10</c>, field the low 10 bits).</param>
public sealed record RecordLayout(int Version, int DeviceBuckets, int OwnerBuckets)
{
    /// <summary>
    /// Layout 1 (before the layout key): 65 536 device hashes, owner hashes by 1 024 consecutive IMEIs. At national
    /// scale (8.7 M devices) a device hash holds ~130 entries and the owner hash of a popular TAC up to 1 024, and
    /// Redis searches those listpacks linearly on every read and write.
    /// </summary>
    public static readonly RecordLayout V1 = new(1, 65_536, 0);

    /// <summary>Layout 2: 262 144 device and 262 144 owner hashes by hash: ~33 and ~38 entries each at national scale.</summary>
    public static readonly RecordLayout V2 = new(2, 1 << 18, 1 << 18);

    /// <summary>The layout of stores this build creates.</summary>
    public static RecordLayout Current => V2;

    /// <summary>The layout named by a layout key's value.</summary>
    /// <exception cref="StoreLayoutException">A layout this build does not know (a newer build created the store).</exception>
    public static RecordLayout Of(string version) => version switch
    {
        "1" => V1,
        "2" => V2,
        _ => throw new StoreLayoutException(
            $"Redis holds device records in layout '{version}', which this build does not know (it knows 1 and 2): run a build at least as new as the one that created the store."),
    };

    public override string ToString() => Version.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The store's record layout is not one this build can read or write.</summary>
public sealed class StoreLayoutException(string message) : Exception(message);
