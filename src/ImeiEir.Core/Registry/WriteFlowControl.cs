namespace ImeiEir.Core.Registry;

/// <summary>
/// How much write work may wait or be in flight on a node, in one place (the sync adapter, the commit pipeline and
/// the amnesty binder read these). Not settings: each is tied to how the others work, and none changes a result,
/// only how far work runs ahead.
/// </summary>
public static class WriteFlowControl
{
    /// <summary>
    /// Batches of one sync stream submitted and not yet answered: enough to keep <see cref="PipelineDepth"/> commits in
    /// flight with the next batch's reads already under way, few enough that a failure stops the stream within a few
    /// batches (each resent by the client from its first unacked one).
    /// </summary>
    public const int MaxOutstandingPerStream = 4;

    /// <summary>
    /// Commits in flight at once: batch N+1's commit is sent right behind N's. With <c>Redis:AckReplicas</c> above 0 it
    /// is 1 (every ack waits for its WAIT anyway).
    /// </summary>
    public const int PipelineDepth = 2;

    /// <summary>Batches one burst of the pipeline takes before following, a number switch or a checkpoint get the writer's turn.</summary>
    public const int BurstBatches = 64;

    /// <summary>
    /// Deltas of a registry batch planned before the planner yields its thread: ~0.5 ms of planning on this 2-core
    /// machine, against ~5 ms for a 10 000-delta batch at once. Since planning runs on the write side's own thread below
    /// the checks' priority (Storage's <c>WriterThread</c>), checks no longer wait for it; the slices only bound one run.
    /// </summary>
    public const int PlanSliceDeltas = 1_000;

    /// <summary>Amnesty bindings waiting to be committed; beyond it a binding is dropped (the IMEI is bound at its next check).</summary>
    public const int AmnestyQueueCapacity = 100_000;

    /// <summary>Amnesty bindings committed as one batch.</summary>
    public const int AmnestyBatchSize = 1_000;
}
