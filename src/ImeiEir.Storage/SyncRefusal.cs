using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Whether this node refuses to sync, and why: Redis' history is not the node's (emptied, replaced, restored from an
/// older copy). While refused the node keeps serving the data it has and answers every write
/// <see cref="Core.Registry.BatchStatus.Refused"/>; it clears itself when the history matches again.
/// </summary>
public sealed partial class SyncRefusal
{
    private readonly ILogger _log;
    private volatile string? _reason;

    public SyncRefusal(ILogger<SyncRefusal> log) => _log = log;

    /// <summary>Why sync is refused, or null.</summary>
    public string? Reason => _reason;

    public void Refuse(string reason)
    {
        _reason = reason;
        Log.HistoryDiverged(_log, reason);
    }

    /// <summary>The history matches at <paramref name="sequence"/>: sync resumes if it was refused.</summary>
    public void Clear(long sequence)
    {
        if (_reason is not null)
        {
            _reason = null;
            Log.HistoryRecovered(_log, sequence);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2004, Level = LogLevel.Critical, Message = "SYNC REFUSED: {Reason}. This node keeps serving the data it has and refuses every write until an operator restores Redis.")]
        public static partial void HistoryDiverged(ILogger logger, string reason);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Redis history matches again at sequence {Sequence}; sync resumed")]
        public static partial void HistoryRecovered(ILogger logger, long sequence);
    }
}
