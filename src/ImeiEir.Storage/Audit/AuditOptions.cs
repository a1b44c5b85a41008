namespace ImeiEir.Storage.Audit;

/// <summary>The audit trail's settings (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>
    /// <c>Audit:Retention</c>: how long entries are kept, by the time Redis recorded them (default 400 days, at least
    /// 1 day). Older ones are trimmed as new changes are committed.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(400);

    public void Validate()
    {
        if (Retention < TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Retention), "Audit:Retention must be at least 1 day (1.00:00:00).");
        }
    }
}
