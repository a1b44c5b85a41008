namespace ImeiEir.Cli;

/// <summary>
/// What <c>eir</c> returns. Scripts branch on these: never renumber one. 0-3 are the codes the tool had before it
/// moved onto System.CommandLine; 130 is what a shell reports for a process ended by Ctrl+C.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done; <c>check</c>: the verdict is ALLOW; help.</summary>
    public const int Ok = 0;

    /// <summary>
    /// <c>check</c>: the verdict is DENY; the node refused or failed the call (any gRPC status but UNAVAILABLE, e.g.
    /// UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT naming the field, FAILED_PRECONDITION); <c>import</c>: the
    /// node closed the stream before acking a batch.
    /// </summary>
    public const int Failed = 1;

    /// <summary>
    /// Bad input, nothing sent: no or unknown command, unknown option, missing or malformed argument, option or
    /// environment variable, unreadable file or certificate; <c>import</c>: bad lines in the file, or a batch the node
    /// rejected (nothing of that batch applied).
    /// </summary>
    public const int Usage = 2;

    /// <summary>
    /// The node could not be reached: gRPC UNAVAILABLE (refused, timed out), or no TLS connection (the server's
    /// certificate is not trusted, or the server refused ours).
    /// </summary>
    public const int Unavailable = 3;

    /// <summary>Interrupted (Ctrl+C); an <c>import</c> run again resumes where it stopped.</summary>
    public const int Interrupted = 130;
}
