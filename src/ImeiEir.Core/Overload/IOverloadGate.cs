namespace ImeiEir.Core.Overload;

/// <summary>The interface a check came in on: where a shed is counted, and which refusal its caller gets.</summary>
public enum CheckInterface : byte
{
    /// <summary>gRPC EquipmentCheck (RESOURCE_EXHAUSTED).</summary>
    Grpc,

    /// <summary>5G N5g-eir (429 with ProblemDetails).</summary>
    N5gEir,

    /// <summary>4G Diameter S13 (3004 DIAMETER_TOO_BUSY).</summary>
    S13,
}

/// <summary>
/// Admission of checks when the node is overloaded. The host provides it (its signal is the node's own queueing, see
/// <c>src/ImeiEir.Server/Overload/README.md</c>); interfaces that cannot reference the host, like Diameter, take it
/// through this interface. Asked once per check on the hot path, so an implementation must not lock or allocate.
/// </summary>
public interface IOverloadGate
{
    /// <summary>
    /// True when a check arriving now on <paramref name="via"/> must be refused because the node is overloaded; the
    /// refusal is counted. False: work on it.
    /// </summary>
    bool ShouldShed(CheckInterface via);
}

/// <summary>The gate of a node without overload control (a Diameter server on its own, tests): never sheds.</summary>
public sealed class NeverShed : IOverloadGate
{
    public static readonly NeverShed Instance = new();

    private NeverShed()
    {
    }

    public bool ShouldShed(CheckInterface via) => false;
}
