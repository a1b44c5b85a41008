namespace ImeiEir.Core.Index;

/// <summary>When the overlay is compacted into a new snapshot (configuration section <c>Index</c>; see README.md here).</summary>
public sealed class IndexOptions
{
    public const string SectionName = "Index";

    /// <summary>
    /// Overlay entries before a new snapshot is compacted, at least. Default 262 144: a compaction of a national data
    /// set takes about a second, so fewer changes between compactions would spend the writer's time compacting.
    /// </summary>
    public long CompactionMinimumChanges { get; set; } = 262_144;

    /// <summary>
    /// ...or this fraction (1/N) of the registered IMEIs, whichever is larger. Default 16: the overlay stays within
    /// about 1/16 of the snapshot's size, so lookups stay near snapshot speed. At least 1.
    /// </summary>
    public long CompactionFractionOfSnapshot { get; set; } = 16;

    /// <summary>Throws with the setting's name when a value is out of range.</summary>
    public void Validate()
    {
        if (CompactionMinimumChanges < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CompactionMinimumChanges), CompactionMinimumChanges, "Index:CompactionMinimumChanges must be at least 1.");
        }

        if (CompactionFractionOfSnapshot < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CompactionFractionOfSnapshot), CompactionFractionOfSnapshot, "Index:CompactionFractionOfSnapshot must be at least 1 (it divides the number of registered IMEIs).");
        }
    }
}
