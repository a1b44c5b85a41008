using System.Threading.Channels;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using ImeiEir.Core.Registry;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Storage;

/// <summary>
/// Receives the bindings the amnesty window makes on the check path (<see cref="IAutoWhitelistSink"/>: never blocks,
/// never allocates a string) and commits them in the background as <c>auto-…</c> batches of up to
/// <see cref="WriteFlowControl.AmnestyBatchSize"/> through the <see cref="CommitPipeline"/>. Which checks bind is
/// <see cref="AmnestyBindings"/>' decision; one that does not is counted and logged once per batch of them.
/// </summary>
public sealed partial class AmnestyBinder : IAutoWhitelistSink
{
    private readonly CommitPipeline _pipeline;
    private readonly ILogger _log;
    private readonly Channel<Mutation> _queue = Channel.CreateBounded<Mutation>(new BoundedChannelOptions(WriteFlowControl.AmnestyQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _notBound;

    public AmnestyBinder(CommitPipeline pipeline, ILogger<AmnestyBinder> log)
    {
        _pipeline = pipeline;
        _log = log;
    }

    public void Bind(long imei, long msisdn, long imsiKey)
    {
        if (AmnestyBindings.TryCreate(imei, msisdn, imsiKey, out var binding))
        {
            _queue.Writer.TryWrite(binding);
        }
        else if (Interlocked.Increment(ref _notBound) == 1)
        {
            // The first of a run wakes the loop, which logs the count (a default mutation is its signal, not a binding).
            _queue.Writer.TryWrite(default);
        }
    }

    /// <summary>Commits queued bindings until <paramref name="ct"/>; a batch the store could not take is tried again a second later.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var batch = new List<Mutation>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (batch.Count == 0)
                {
                    await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false);
                }

                while (batch.Count < WriteFlowControl.AmnestyBatchSize && _queue.Reader.TryRead(out var binding))
                {
                    if (binding.Kind == MutationKind.AddBinding)
                    {
                        batch.Add(binding);
                    }
                }

                if (Interlocked.Exchange(ref _notBound, 0) is var notBound and > 0)
                {
                    Log.NotBoundWithoutMsisdn(_log, notBound);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                var outcome = await _pipeline.ApplyAmnestyAsync(batch, ct).ConfigureAwait(false);
                if (outcome.Status is not (BatchStatus.Accepted or BatchStatus.Duplicate))
                {
                    Log.AutoBindFailed(_log, outcome.Error);
                    if (outcome.Status == BatchStatus.Unavailable)
                    {
                        // Real time, not the node's TimeProvider: a retry must not wait for a test's fake clock.
                        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                        continue;
                    }
                }

                batch = [];
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Amnesty bindings could not be committed: {Error}")]
        public static partial void AutoBindFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "{Count} amnesty check(s) had no MSISDN (unmapped IMSI only): allowed, not bound")]
        public static partial void NotBoundWithoutMsisdn(ILogger logger, int count);
    }
}
