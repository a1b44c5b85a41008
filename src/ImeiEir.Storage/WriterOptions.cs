namespace ImeiEir.Storage;

/// <summary>How the write side's work is scheduled next to the checks (configuration section <c>Writer</c>; <see cref="WriterThread"/>).</summary>
public sealed class WriterOptions
{
    public const string SectionName = "Writer";

    /// <summary>
    /// The Linux nice value of the writer thread, 0 (the checks' own priority) to 19 (the lowest). Default 10: when the
    /// cores are busy the kernel gives the threads answering checks about nine times the writer's share, so a sync
    /// slows down before the checks do; with idle cores the writer runs at full speed. Other systems ignore it.
    /// </summary>
    public int Nice { get; set; } = 10;

    public void Validate()
    {
        if (Nice is < 0 or > 19)
        {
            throw new ArgumentOutOfRangeException(nameof(Nice), Nice, "Writer:Nice must be 0 (normal priority) to 19 (lowest).");
        }
    }
}
