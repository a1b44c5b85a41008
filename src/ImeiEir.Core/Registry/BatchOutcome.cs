namespace ImeiEir.Core.Registry;

/// <summary>What became of one write (a registry batch, a number switch).</summary>
public enum BatchStatus
{
    Accepted,
    Duplicate,
    /// <summary>Invalid content: <see cref="BatchOutcome.Errors"/> lists every bad delta; nothing applied.</summary>
    Rejected,
    /// <summary>The batch id was used before for other content; nothing applied.</summary>
    IdReused,
    /// <summary>The store cannot be reached or the node is not loaded; nothing applied, retry later.</summary>
    Unavailable,
    /// <summary>The store's history is not the node's (emptied, restored from an older copy): sync refused.</summary>
    Refused,
}

/// <summary>
/// The answer to one write: its status, the sequence it holds (Accepted, Duplicate), every bad delta (Rejected), a
/// text for the client (never a storage exception's message: keys carry identifiers) and the IMEIs a switch moved.
/// </summary>
public sealed record BatchOutcome(BatchStatus Status, long Sequence, IReadOnlyList<DeltaError> Errors, string Error, IReadOnlyList<long> SwitchedImeis)
{
    public static BatchOutcome Fail(BatchStatus status, string error) => new(status, 0, [], error, []);
}
