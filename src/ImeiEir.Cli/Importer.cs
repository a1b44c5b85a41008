using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using Spectre.Console;

namespace ImeiEir.Cli;

/// <summary>
/// Sends a delta file through <c>RegistrySync.Apply</c> in batches whose ids are derived from the file's content
/// and the batch number. Re-running after an interruption re-sends the same ids: batches already applied are
/// acked as duplicates, never applied twice. A state file next to the input remembers how far it got, so a
/// resumed import skips ahead; it also holds a hash of what was applied, so that after a rejected batch the fixed file
/// (another file id, so other batch ids) resumes after the batches already applied instead of sending them again.
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
        var batches = lines.Chunk(batchSize).ToArray();
        int done;
        try
        {
            done = await ResumeAtAsync(ImportState.Read(statePath), fileId, batchSize, batches, statePath);
        }
        catch (UsageException ex)
        {
            await console.Error.WriteLineAsync($"eir: {ex.Message}");
            return ExitCodes.Usage;
        }

        using var run = new Run(fileId, statePath, batchSize, batches, done);
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

            await console.Error.WriteLineAsync(run.Next == 0
                ? "nothing was applied; fix the file and run the import again."
                : $"fix the file and run the import again: the {run.Next} batch(es) already applied (lines up to {batches[run.Next - 1][^1].Number}) are skipped as long as those lines stay as they are.");
            return ExitCodes.Usage;
        }

        await console.Out.WriteLineAsync($"imported {lines.Count} deltas in {batches.Length} batches ({run.Sent} sent now) in {run.Elapsed.TotalSeconds:F1} s");
        File.Delete(statePath);
        return ExitCodes.Ok;
    }

    /// <summary>How the batch loop ended: all sent (neither), the node closed the stream, or a batch was rejected.</summary>
    private sealed record Stop(bool Closed, BatchAck? Rejected);

    /// <summary>One import's batches and how far it got.</summary>
    private sealed class Run : IDisposable
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly IncrementalHash _applied = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public Run(string fileId, string statePath, int batchSize, DeltaFile.Line[][] batches, int done)
        {
            (FileId, StatePath, BatchSize, Batches, Next) = (fileId, statePath, batchSize, batches, done);
            foreach (var batch in batches.Take(done))
            {
                Append(_applied, batch);
            }
        }

        public string FileId { get; }

        public string StatePath { get; }

        public int BatchSize { get; }

        public DeltaFile.Line[][] Batches { get; }

        /// <summary>The next batch to send (= batches acked so far, skipped ones included).</summary>
        public int Next { get; private set; }

        /// <summary>Deltas sent by this run.</summary>
        public int Sent { get; set; }

        public TimeSpan Elapsed => _watch.Elapsed;

        public double Rate => Sent / Math.Max(Elapsed.TotalSeconds, 0.001);

        public void Dispose() => _applied.Dispose();

        /// <summary>Batch <see cref="Next"/> was acked: count it, and record in the state file that it was.</summary>
        public void Acked()
        {
            Sent += Batches[Next].Length;
            Append(_applied, Batches[Next]);
            Next++;
            // Written only after the ack: a crash before it re-sends this batch, which the node acks as a duplicate.
            new ImportState(FileId, Next, BatchSize, Hex(_applied.GetCurrentHash())).Write(StatePath);
        }
    }

    /// <summary>What the state file says: <c>{fileId} {batches} [{batchSize} {appliedHash}]</c>.</summary>
    /// <remarks>The last two fields are absent in files written before they were recorded.</remarks>
    private sealed record ImportState(string FileId, int Batches, int? BatchSize, string? Applied)
    {
        /// <summary>The state in the file; none when there is no file or it cannot be parsed (a run starts over).</summary>
        public static ImportState? Read(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var parts = File.ReadAllText(path).Trim().Split(' ');
            if (parts.Length is not (2 or 4) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var batches) || batches < 0)
            {
                return null;
            }

            if (parts.Length == 2)
            {
                return new ImportState(parts[0], batches, null, null);
            }

            return int.TryParse(parts[2], CultureInfo.InvariantCulture, out var size) && size > 0 ? new ImportState(parts[0], batches, size, parts[3]) : null;
        }

        public void Write(string path) => File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $"{FileId} {Batches} {BatchSize} {Applied}"));
    }

    /// <summary>
    /// Where this run starts. The same file: after the batches the state says were acked. Another version of the file
    /// (fixed after a rejected batch): after them too when its first batches hold exactly the deltas applied, since
    /// its batch ids are new and would apply them again; otherwise refused, for the same reason.
    /// </summary>
    private async Task<int> ResumeAtAsync(ImportState? state, string fileId, int batchSize, DeltaFile.Line[][] batches, string statePath)
    {
        if (state is null || state.Batches == 0)
        {
            return 0;
        }

        // Batch ids number batches of one size: skipping n batches of another size would skip lines never sent, or
        // send lines again under new ids. (Without the state file a size change is safe: the node refuses an id
        // reused with other content.)
        if (state.FileId == fileId && state.BatchSize is { } size && size != batchSize)
        {
            throw new UsageException($"--batch-size {batchSize}: the interrupted import of this file used --batch-size {size}; resume with that size (state: {statePath})");
        }

        if (state.FileId == fileId)
        {
            var done = Math.Min(state.Batches, batches.Length);
            if (done > 0)
            {
                await console.Out.WriteLineAsync($"resuming after batch {done} of {batches.Length} (state: {statePath})");
            }

            return done;
        }

        if (state.BatchSize == batchSize && state.Batches <= batches.Length && Hash(batches.Take(state.Batches)) == state.Applied)
        {
            await console.Out.WriteLineAsync($"the file changed after the {state.Batches} batch(es) already applied (lines up to {batches[state.Batches - 1][^1].Number}): resuming after batch {state.Batches} of {batches.Length} (state: {statePath})");
            return state.Batches;
        }

        // This version's batch ids are new: starting over would apply again what the other version applied.
        throw new UsageException(
            $"{statePath}: an import of another version of this file applied {state.Batches} batch(es), and this version differs in them "
            + "(or in --batch-size), so starting over would apply them again; delete the state file to import this version from the start anyway");
    }

    private static string Hash(IEnumerable<DeltaFile.Line[]> batches)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var batch in batches)
        {
            Append(hash, batch);
        }

        return Hex(hash.GetCurrentHash());
    }

    /// <summary>The deltas' wire form, each prefixed by its length: blank lines, comments and spacing do not count.</summary>
    private static void Append(IncrementalHash hash, DeltaFile.Line[] batch)
    {
        Span<byte> length = stackalloc byte[4];
        foreach (var line in batch)
        {
            var bytes = line.Delta.ToByteArray();
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash)[..32];

    private async Task<Stop> SendAsync(Run run, IProgressView progress, CancellationToken ct)
    {
        using var call = client.Apply(headers, cancellationToken: ct);
        while (run.Next < run.Batches.Length)
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

            run.Acked();
            progress.Acked(run, ack);
        }

        await call.RequestStream.CompleteAsync();
        return new Stop(false, null);
    }

    private interface IProgressView
    {
        /// <summary>A batch was acked; <c>run.Next</c> batches are done.</summary>
        void Acked(Run run, BatchAck ack);
    }

    /// <summary>The Spectre bar on a terminal: batches done of all, rate, sequence, duplicates.</summary>
    private sealed class LiveProgress(ProgressTask task) : IProgressView
    {
        public void Acked(Run run, BatchAck ack)
        {
            task.Value = run.Next;
            task.Description = Describe(run, ack);
        }

        public static string Describe(Run run, BatchAck? ack) => Markup.Escape(
            $"batch {run.Next}/{run.Batches.Length}{(ack is null ? "" : $", {run.Rate:F0} deltas/s, sequence {ack.Sequence}{(ack.Duplicate ? " (duplicate)" : "")}")}");
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
            var done = run.Next;
            var tenth = (int)(10L * done / run.Batches.Length);
            if (ack.Duplicate != _duplicate || tenth != _tenth || done == run.Batches.Length || run.Elapsed - _last >= Every)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"batch {done}/{run.Batches.Length} ({100L * done / run.Batches.Length}%), {run.Rate:F0} deltas/s, sequence {ack.Sequence}{(ack.Duplicate ? " (duplicate)" : "")}"));
                (_duplicate, _tenth, _last) = (ack.Duplicate, tenth, run.Elapsed);
            }
        }
    }
}
