using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using Spectre.Console;

namespace ImeiEir.Cli;

/// <summary>
/// Sends a delta file through <c>RegistrySync.Apply</c> in batches whose ids are derived from the file's content
/// and the batch number. Re-running after an interruption re-sends the same ids: batches already applied are
/// acked as duplicates, never applied twice. A state file next to the input remembers how far it got, so a
/// resumed import skips ahead.
/// </summary>
/// <remarks>
/// Progress: a live Spectre bar on a terminal; otherwise (redirected, CI) plain lines, see <see cref="LineProgress"/>.
/// Errors (bad lines, a rejected batch, an interruption) go to standard error.
/// </remarks>
internal sealed class Importer(RegistrySync.RegistrySyncClient client, Metadata headers, EirConsole console)
{
    public async Task<int> RunAsync(string path, int batchSize, CancellationToken ct)
    {
        var (lines, errors) = DeltaFile.Read(path);
        if (errors.Count > 0)
        {
            foreach (var e in errors.Take(50))
            {
                await console.Error.WriteLineAsync(e);
            }

            await console.Error.WriteLineAsync($"{errors.Count} bad line(s); nothing was sent.");
            return ExitCodes.Usage;
        }

        var fileId = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16];
        var statePath = path + ".import-state";
        var done = ReadState(statePath, fileId, batchSize);
        var batches = lines.Chunk(batchSize).ToArray();
        if (done > 0)
        {
            await console.Out.WriteLineAsync($"resuming after batch {done} of {batches.Length} (state: {statePath})");
        }

        var run = new Run(fileId, statePath, batchSize, batches, done);
        Stop stop;
        try
        {
            stop = console.Live
                ? await console.Ansi.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask(LiveProgress.Describe(run, null), maxValue: batches.Length);
                        task.Value = done;
                        return await SendAsync(run, new LiveProgress(task), ct);
                    })
                : await SendAsync(run, new LineProgress(console.Out), ct);
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            await console.Error.WriteLineAsync($"interrupted: {run.Next} of {batches.Length} batches applied; run the same import again to resume (state: {statePath})");
            return ExitCodes.Interrupted;
        }

        if (stop.Closed)
        {
            await console.Error.WriteLineAsync("the server closed the stream");
            return ExitCodes.Failed;
        }

        if (stop.Rejected is { } ack)
        {
            var batch = batches[run.Next];
            await console.Error.WriteLineAsync($"batch {run.Next} (lines {batch[0].Number}-{batch[^1].Number}) rejected: {ack.Error}");
            foreach (var e in ack.Errors.Take(50))
            {
                await console.Error.WriteLineAsync($"  line {batch[e.Index].Number}: {e.Message}");
            }

            await console.Error.WriteLineAsync("fix the file and run the import again: batches already applied are skipped.");
            return ExitCodes.Usage;
        }

        await console.Out.WriteLineAsync($"imported {lines.Count} deltas in {batches.Length} batches ({run.Sent} sent now) in {run.Elapsed.TotalSeconds:F1} s");
        File.Delete(statePath);
        return ExitCodes.Ok;
    }

    /// <summary>How the batch loop ended: all sent (neither), the node closed the stream, or a batch was rejected.</summary>
    private sealed record Stop(bool Closed, BatchAck? Rejected);

    /// <summary>One import's batches and how far it got.</summary>
    private sealed class Run(string fileId, string statePath, int batchSize, DeltaFile.Line[][] batches, int done)
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();

        public string FileId { get; } = fileId;

        public string StatePath { get; } = statePath;

        public int BatchSize { get; } = batchSize;

        public DeltaFile.Line[][] Batches { get; } = batches;

        /// <summary>The next batch to send (= batches acked so far, skipped ones included).</summary>
        public int Next { get; set; } = done;

        /// <summary>Deltas sent by this run.</summary>
        public int Sent { get; set; }

        public TimeSpan Elapsed => _watch.Elapsed;

        public double Rate => Sent / Math.Max(Elapsed.TotalSeconds, 0.001);
    }

    private async Task<Stop> SendAsync(Run run, IProgressView progress, CancellationToken ct)
    {
        using var call = client.Apply(headers, cancellationToken: ct);
        for (; run.Next < run.Batches.Length; run.Next++)
        {
            var lines = run.Batches[run.Next];
            var batch = new DeltaBatch { BatchId = $"import-{run.FileId}-{run.Next:D6}" };
            batch.Deltas.AddRange(lines.Select(l => l.Delta));
            await call.RequestStream.WriteAsync(batch, ct);
            if (!await call.ResponseStream.MoveNext(ct))
            {
                return new Stop(true, null);
            }

            var ack = call.ResponseStream.Current;
            if (!ack.Accepted)
            {
                return new Stop(false, ack);
            }

            run.Sent += lines.Length;
            // Written only after the ack: a crash before it re-sends this batch, which the node acks as a duplicate.
            WriteState(run.StatePath, run.FileId, run.Next + 1, run.BatchSize);
            progress.Acked(run, ack);
        }

        await call.RequestStream.CompleteAsync();
        return new Stop(false, null);
    }

    private interface IProgressView
    {
        /// <summary>Batch <c>run.Next</c> was acked.</summary>
        void Acked(Run run, BatchAck ack);
    }

    /// <summary>The Spectre bar on a terminal: batches done of all, rate, sequence, duplicates.</summary>
    private sealed class LiveProgress(ProgressTask task) : IProgressView
    {
        public void Acked(Run run, BatchAck ack)
        {
            task.Value = run.Next + 1;
            task.Description = Describe(run, ack);
        }

        public static string Describe(Run run, BatchAck? ack) => Markup.Escape(ack is null
            ? $"batch {run.Next}/{run.Batches.Length}"
            : $"batch {run.Next + 1}/{run.Batches.Length}, {run.Rate:F0} deltas/s, sequence {ack.Sequence}{(ack.Duplicate ? " (duplicate)" : "")}");
    }

    /// <summary>
    /// Progress as plain lines when output is not a terminal. Spectre's own fallback prints on a one-second timer at
    /// fixed percentages and skips a finished task, so a short import showed nothing; these lines are written on the
    /// ack itself: the first and last batch, every tenth of the file, when acks turn to duplicates or back, and at
    /// least every 10 s. A log of a national file stays short and still shows duplicates (a lost state file).
    /// </summary>
    private sealed class LineProgress(TextWriter output) : IProgressView
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
        private bool? _duplicate;
        private int _tenth = -1;
        private TimeSpan _last;

        public void Acked(Run run, BatchAck ack)
        {
            var done = run.Next + 1;
            var tenth = (int)(10L * done / run.Batches.Length);
            if (ack.Duplicate != _duplicate || tenth != _tenth || done == run.Batches.Length || run.Elapsed - _last >= Every)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"batch {done}/{run.Batches.Length} ({100L * done / run.Batches.Length}%), {run.Rate:F0} deltas/s, sequence {ack.Sequence}{(ack.Duplicate ? " (duplicate)" : "")}"));
                (_duplicate, _tenth, _last) = (ack.Duplicate, tenth, run.Elapsed);
            }
        }
    }

    /// <summary>
    /// Batches already acked, from the state file <c>{fileId} {batches} {batchSize}</c> (the batch size is absent in
    /// files written before it was recorded). Another file's state, or an unreadable one, counts as none: the run then
    /// starts over and the node acks the batches it had as duplicates.
    /// </summary>
    private static int ReadState(string statePath, string fileId, int batchSize)
    {
        if (!File.Exists(statePath))
        {
            return 0;
        }

        var parts = File.ReadAllText(statePath).Trim().Split(' ');
        if (parts.Length is not (2 or 3) || parts[0] != fileId || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var done))
        {
            return 0;
        }

        // Batch ids number batches of one size: skipping n batches of another size would skip lines never sent, or
        // send lines again under new ids. (Without the state file a size change is safe: the node refuses an id
        // reused with other content.)
        if (parts.Length == 3 && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var size) && size != batchSize)
        {
            throw new UsageException($"--batch-size {batchSize}: the interrupted import of this file used --batch-size {size}; resume with that size (state: {statePath})");
        }

        return done;
    }

    private static void WriteState(string statePath, string fileId, int batches, int batchSize)
        => File.WriteAllText(statePath, string.Create(CultureInfo.InvariantCulture, $"{fileId} {batches} {batchSize}"));
}
