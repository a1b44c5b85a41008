namespace ImeiEir.Storage;

/// <summary>How this process names itself in what it writes to Redis (audit entries, the checkpoint lock).</summary>
public static class NodeName
{
    /// <summary>Host name and process id: unique among the nodes of a host.</summary>
    public static string Current { get; } = Environment.MachineName + "-" + Environment.ProcessId;
}
