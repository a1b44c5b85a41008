using ImeiEir.Core.Index;
using ImeiEir.Storage;

namespace ImeiEir.Server.Nrf;

/// <summary><see cref="INodeServingState"/> over the node's index and sync state: two field reads, no I/O.</summary>
internal sealed class ReplicatedIndexServingState(EirIndex index, SyncRefusal refusal) : INodeServingState
{
    public bool IsLoaded => index.IsLoaded;

    public string? SyncRefusedReason => refusal.Reason;
}
