namespace ImeiEir.Server.Nrf;

/// <summary>
/// Whether this node can serve checks, as the NRF registration needs it: registered once the data is loaded,
/// suspended while it is not or while sync is refused. Production reads the index and <see cref="Storage.SyncRefusal"/>
/// (<see cref="ReplicatedIndexServingState"/>); tests drive it directly.
/// </summary>
internal interface INodeServingState
{
    /// <summary>True once the node has loaded its data from Redis.</summary>
    bool IsLoaded { get; }

    /// <summary>Why sync is refused (Redis' history is not this node's), or null while it is not.</summary>
    string? SyncRefusedReason { get; }
}
