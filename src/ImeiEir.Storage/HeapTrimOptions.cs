namespace ImeiEir.Storage;

/// <summary>
/// When the node gives back the memory a write burst left behind (configuration section <c>HeapTrim</c>;
/// <see cref="WriteBurstHeapTrim"/>).
/// </summary>
public sealed class HeapTrimOptions
{
    public const string SectionName = "HeapTrim";

    /// <summary>
    /// How long the index must stay at one sequence (no batch committed or followed) before the burst counts as over.
    /// Default 5 s: a sync stream keeps batches in flight, so it never pauses that long between two of them, while the
    /// collection still comes seconds after the sync's end. Zero turns the trim off.
    /// </summary>
    public TimeSpan AfterQuiet { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Memory the garbage collector must hold beyond the live heap (committed bytes minus live bytes, as of its last
    /// collection) for the trim to run. Default 64 MiB: below it the pause is not worth what comes back (a small
    /// batch's garbage, the young generation's budget).
    /// </summary>
    public long MinimumExcessBytes { get; set; } = 64L << 20;

    public void Validate()
    {
        if (AfterQuiet < TimeSpan.Zero)
        {
            throw new ArgumentException("HeapTrim:AfterQuiet must not be negative.");
        }

        if (MinimumExcessBytes < 0)
        {
            throw new ArgumentException("HeapTrim:MinimumExcessBytes must not be negative.");
        }
    }
}
