using ImeiEir.Core.Registry;

namespace ImeiEir.Storage.Audit;

/// <summary>One entry of the audit trail, as stored.</summary>
/// <param name="Id">The entry's stream id (<c>&lt;ms&gt;-&lt;n&gt;</c>), the position a page token continues after.</param>
/// <param name="Time">When Redis recorded it (its clock, milliseconds).</param>
public sealed record AuditRecord(string Id, long Sequence, string BatchId, DateTimeOffset Time, string Client, string SourceAddress, ChangeSource Source, uint[] Counts, string Node);

/// <summary>A page of entries, oldest first; <see cref="NextPageToken"/> is empty on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Entries, string NextPageToken);
