using ImeiEir.Server.Nrf;

namespace ImeiEir.Server.Tests.Nrf;

/// <summary>The node's serving state, driven by the test.</summary>
internal sealed class FakeServingState : INodeServingState
{
    private volatile bool _loaded = true;
    private volatile string? _refused;
    private int _reads;

    public bool IsLoaded
    {
        get
        {
            Interlocked.Increment(ref _reads);
            return _loaded;
        }

        set => _loaded = value;
    }

    /// <summary>How often <see cref="IsLoaded"/> was read: the registrar looked this many times.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public string? SyncRefusedReason
    {
        get => _refused;
        set => _refused = value;
    }
}
