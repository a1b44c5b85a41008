using System.Diagnostics;
using ImeiEir.Core.Index;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Gives back the memory a write burst (a sync, a followed log, a reload) left behind: once the index has stayed at one
/// sequence for <see cref="HeapTrimOptions.AfterQuiet"/> after it changed, and the garbage collector holds at least
/// <see cref="HeapTrimOptions.MinimumExcessBytes"/> beyond the live heap, one blocking aggressive collection compacts
/// every generation, the large-object heap included, and decommits what is free.
/// </summary>
/// <remarks>
/// Why: a sync's temporaries and the index's and directory's replaced arrays are large objects; the background
/// collections free them but never compact the large-object heap, so after a 2 M-record sync the node held 20–110 MiB
/// of free large-object space and 330–420 MiB committed for ~165 MiB live, and its RSS was 2.0–2.3× that of a node that
/// hydrated the same records (hydration ends with the same collection: <see cref="LogFollower"/>); with this, 1.2×.
/// The pause is one full compaction of the live heap (0.3–0.7 s at 2 M on a loaded 2-core machine; bench/RESULTS.md,
/// "Memory after a sync (GC A/B)"); it comes when no write is running, at most once per burst and once per
/// <see cref="MinimumSpacing"/>, so a trickle of small batches (amnesty bindings) cannot make it frequent.
/// </remarks>
public sealed partial class WriteBurstHeapTrim : BackgroundService
{
    /// <summary>How often the index's sequence is looked at.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The least time between two trims: the pause costs the checks at most a few tenths of a second a minute.</summary>
    internal static readonly TimeSpan MinimumSpacing = TimeSpan.FromMinutes(1);

    private readonly EirIndex _index;
    private readonly HeapTrimOptions _options;
    private readonly Task _startLoaded;
    private readonly ILogger _log;
    private bool _startSeen;
    private long _sequence = -1;
    private TimeSpan _changedAt;
    private TimeSpan? _trimmedAt;
    private bool _burstPending;

    /// <param name="startLoaded">Completes when the start's load ends (the device directory put in place after the
    /// index serves, <see cref="LogFollower.DirectoryLoaded"/>): its temporaries count as a burst's.</param>
    public WriteBurstHeapTrim(EirIndex index, HeapTrimOptions options, ILogger<WriteBurstHeapTrim> log, Task? startLoaded = null)
    {
        _index = index;
        _options = options;
        _log = log;
        _startLoaded = startLoaded ?? Task.CompletedTask;
    }

    /// <summary>
    /// The start's load ended at <paramref name="now"/>: a burst that ends once the sequence stays put for
    /// <see cref="HeapTrimOptions.AfterQuiet"/> from then (the checkpoint's chunks and the directory's parse are what
    /// it leaves behind; hydration's own collection came before the directory).
    /// </summary>
    internal void StartLoadEnded(TimeSpan now)
    {
        _burstPending = true;
        _changedAt = now;
    }

    /// <summary>
    /// Whether a write burst ended at <paramref name="now"/> (time since any fixed origin): the sequence changed since
    /// the last burst ended and then stayed for <see cref="HeapTrimOptions.AfterQuiet"/>. True once per burst, and not
    /// within <see cref="MinimumSpacing"/> of the last trim (<see cref="Trimmed"/>). The first sequence seen is the
    /// start's, not a burst (hydration ends with its own collection).
    /// </summary>
    internal bool BurstEnded(long sequence, TimeSpan now)
    {
        if (sequence != _sequence)
        {
            _burstPending = _sequence >= 0;
            _sequence = sequence;
            _changedAt = now;
            return false;
        }

        if (!_burstPending || now - _changedAt < _options.AfterQuiet || (_trimmedAt is { } t && now - t < MinimumSpacing))
        {
            return false;
        }

        _burstPending = false;
        return true;
    }

    /// <summary>Records that a trim ran at <paramref name="now"/> (the spacing counts from it).</summary>
    internal void Trimmed(TimeSpan now) => _trimmedAt = now;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.AfterQuiet == TimeSpan.Zero)
        {
            return;
        }

        // Real time, not the node's TimeProvider: like RegistryHost's retries, a test's fake clock must not drive it.
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!_startSeen && _startLoaded.IsCompleted)
                {
                    _startSeen = true;
                    StartLoadEnded(clock.Elapsed);
                }

                if (!BurstEnded(_index.Current.Sequence, clock.Elapsed))
                {
                    continue;
                }

                var before = GC.GetGCMemoryInfo();
                var excess = before.TotalCommittedBytes - (before.HeapSizeBytes - before.FragmentedBytes);
                if (excess < _options.MinimumExcessBytes)
                {
                    continue;
                }

                var paused = GC.GetTotalPauseDuration();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                Trimmed(clock.Elapsed);
                var after = GC.GetGCMemoryInfo();
                Log.HeapTrimmed(_log, before.TotalCommittedBytes >> 20, after.TotalCommittedBytes >> 20, after.HeapSizeBytes >> 20,
                    (long)(GC.GetTotalPauseDuration() - paused).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Write burst over: heap compacted, GC committed {BeforeMiB} -> {AfterMiB} MiB ({LiveMiB} MiB live), pause {PauseMs} ms")]
        public static partial void HeapTrimmed(ILogger logger, long beforeMiB, long afterMiB, long liveMiB, long pauseMs);
    }
}
