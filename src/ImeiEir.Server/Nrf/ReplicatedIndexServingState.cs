using ImeiEir.Storage;

namespace ImeiEir.Server.Nrf;

/// <summary><see cref="INodeServingState"/> over the node's replica: two field reads, no I/O.</summary>
internal sealed class ReplicatedIndexServingState(ReplicatedIndex replica) : INodeServingState
{
    public bool IsLoaded => replica.IsLoaded;

    public string? SyncRefusedReason => replica.Divergence;
}
