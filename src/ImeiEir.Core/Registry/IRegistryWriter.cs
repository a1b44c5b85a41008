namespace ImeiEir.Core.Registry;

/// <summary>
/// Where the adapters send writes (registry sync, self-service). Every write is one sequence in the cluster's history:
/// validated against the node's current data, committed to the store, published in the node's index, and only then
/// answered. Store failures come back as <see cref="BatchStatus.Unavailable"/>, never as exceptions.
/// </summary>
public interface IRegistryWriter
{
    /// <summary>
    /// Validates, commits and publishes one registry batch; an ack may be sent once this returns
    /// <see cref="BatchStatus.Accepted"/> or <see cref="BatchStatus.Duplicate"/>. Batches are committed in the order of
    /// the calls, so a caller may submit the next batch before this one is answered (reads for it start at once).
    /// </summary>
    /// <param name="origin">Who sent it: recorded in the audit trail in the same commit (docs/audit.md).</param>
    Task<BatchOutcome> ApplyBatchAsync(string batchId, string contentHash, IReadOnlyList<RegistryDelta> deltas, ChangeOrigin origin, CancellationToken ct);

    /// <summary>Self-service NUMBER SWITCH as one sequence; invalid input or a conflict comes back as <see cref="BatchStatus.Rejected"/>.</summary>
    /// <param name="origin">Who asked: recorded in the audit trail in the same commit.</param>
    Task<BatchOutcome> SwitchNumberAsync(SwitchNumberDelta delta, ChangeOrigin origin, CancellationToken ct);
}
