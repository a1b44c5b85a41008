namespace ImeiEir.Server.Tests.Faults;

/// <summary>
/// The fault tests run one at a time and alone, after the tests that run in parallel: each drives checks and syncs as
/// fast as its nodes answer, kills and restarts processes and waits for nodes to notice, and reads a node's
/// <c>/metrics</c>, where the instruments of every node in this process show (metrics listeners are process-wide).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "Faults";
}
