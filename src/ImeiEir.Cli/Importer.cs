using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Cli;

/// <summary>
/// Sends a delta file through <c>RegistrySync.Apply</c> in batches whose ids are derived from the file's content
/// and the batch number. Re-running after an interruption re-sends the same ids: batches already applied are
/// acked as duplicates, never applied twice. A state file next to the input remembers how far it got, so a
/// resumed import skips ahead.
/// </summary>
internal sealed class Importer(RegistrySync.RegistrySyncClient client, Metadata headers, TextWriter output)
{
    public async Task<int> RunAsync(string path, int batchSize, CancellationToken ct)
    {
        var (lines, errors) = DeltaFile.Read(path);
        if (errors.Count > 0)
        {
            foreach (var e in errors.Take(50))
            {
                await output.WriteLineAsync(e);
            }

            await output.WriteLineAsync($"{errors.Count} bad line(s); nothing was sent.");
            return 2;
        }

        var fileId = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16];
        var statePath = path + ".import-state";
        var done = ReadState(statePath, fileId);
        var batches = lines.Chunk(batchSize).ToArray();
        if (done > 0)
        {
            await output.WriteLineAsync($"resuming after batch {done} of {batches.Length} (state: {statePath})");
        }

        var watch = Stopwatch.StartNew();
        var sent = 0;
        using var call = client.Apply(headers, cancellationToken: ct);
        for (var i = done; i < batches.Length; i++)
        {
            var batch = new DeltaBatch { BatchId = $"import-{fileId}-{i:D6}" };
            batch.Deltas.AddRange(batches[i].Select(l => l.Delta));
            await call.RequestStream.WriteAsync(batch, ct);
            if (!await call.ResponseStream.MoveNext(ct))
            {
                await output.WriteLineAsync("the server closed the stream");
                return 1;
            }

            var ack = call.ResponseStream.Current;
            if (!ack.Accepted)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync($"batch {i} (lines {batches[i][0].Number}-{batches[i][^1].Number}) rejected: {ack.Error}");
                foreach (var e in ack.Errors.Take(50))
                {
                    await output.WriteLineAsync($"  line {batches[i][e.Index].Number}: {e.Message}");
                }

                await output.WriteLineAsync("fix the file and run the import again: batches already applied are skipped.");
                return 2;
            }

            sent += batches[i].Length;
            WriteState(statePath, fileId, i + 1);
            Progress(i + 1, batches.Length, sent, watch.Elapsed, ack);
        }

        await call.RequestStream.CompleteAsync();
        await output.WriteLineAsync();
        await output.WriteLineAsync($"imported {lines.Count} deltas in {batches.Length} batches ({sent} sent now) in {watch.Elapsed.TotalSeconds:F1} s");
        File.Delete(statePath);
        return 0;
    }

    private void Progress(int done, int total, int sent, TimeSpan elapsed, BatchAck ack)
    {
        const int width = 30;
        var filled = (int)(width * (double)done / total);
        var rate = sent / Math.Max(elapsed.TotalSeconds, 0.001);
        output.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} batches, {rate:F0} deltas/s, sequence {ack.Sequence}{(ack.Duplicate ? " (duplicate)" : "")}   ");
    }

    private static int ReadState(string statePath, string fileId)
    {
        if (!File.Exists(statePath))
        {
            return 0;
        }

        var parts = File.ReadAllText(statePath).Trim().Split(' ');
        return parts.Length == 2 && parts[0] == fileId && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    private static void WriteState(string statePath, string fileId, int batches)
        => File.WriteAllText(statePath, $"{fileId} {batches.ToString(CultureInfo.InvariantCulture)}");
}
