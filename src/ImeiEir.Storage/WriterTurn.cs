namespace ImeiEir.Storage;

/// <summary>
/// One writer of the node's index at a time: following the log, a burst of the commit pipeline and a checkpoint's
/// compaction take turns here. Checks never take it (they read published views).
/// </summary>
public sealed class WriterTurn
{
    // Not disposed: a background Redis call that outlived shutdown may still release it, and it holds no unmanaged state.
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Waits for the turn; dispose the result to give it back.</summary>
    public async Task<Held> TakeAsync(CancellationToken ct = default)
    {
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        return new Held(_turn);
    }

    /// <summary>The turn, held until disposed.</summary>
    public readonly struct Held : IDisposable
    {
        private readonly SemaphoreSlim _turn;

        internal Held(SemaphoreSlim turn) => _turn = turn;

        public void Dispose() => _turn.Release();
    }
}
