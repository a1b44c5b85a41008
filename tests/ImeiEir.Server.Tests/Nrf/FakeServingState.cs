using ImeiEir.Server.Nrf;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>The node's serving state, driven by the test.</summary>
internal sealed class FakeServingState : INodeServingState
{
    private volatile bool _loaded = true;
    private volatile string? _refused;

    public bool IsLoaded
    {
        get => _loaded;
        set => _loaded = value;
    }

    public string? SyncRefusedReason
    {
        get => _refused;
        set => _refused = value;
    }
}
