using System.Globalization;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>One committed batch as the log holds it.</summary>
public sealed record LogEntry(long Sequence, string BatchId, long AppliedAtTicks, Core.Index.Mutation[] Mutations)
{
    /// <summary>The devices the batch removed and registered (the device directory's changes).</summary>
    public DeviceChanges Devices { get; init; } = DeviceChanges.None;
}

/// <summary>The store's identity and position.</summary>
public readonly record struct StoreHead(string? Epoch, long Sequence);

/// <summary>
/// The store's history as a node reads it: the epoch and sequence, the log (<c>XRANGE</c>), the accepted batch ids,
/// and the replicas' confirmation of what was written (<c>WAIT</c>).
/// </summary>
public sealed class RedisLog
{
    private readonly RedisConnectionProvider _connection;
    private readonly RedisKeys _keys;
    private readonly RedisOptions _options;

    public RedisLog(RedisConnectionProvider connection, RedisKeys keys, RedisOptions options)
    {
        _connection = connection;
        _keys = keys;
        _options = options;
    }

    /// <summary>The store's epoch and sequence.</summary>
    public async Task<StoreHead> GetHeadAsync()
    {
        var db = _connection.Database;
        var epoch = db.StringGetAsync(_keys.Epoch);
        var seq = db.StringGetAsync(_keys.Sequence);
        await Task.WhenAll(epoch, seq).ConfigureAwait(false);
        return new StoreHead(epoch.Result.IsNull ? null : epoch.Result.ToString(), seq.Result.IsNull ? 0 : (long)seq.Result);
    }

    /// <summary>Creates the cluster's epoch if the store is brand new. Returns the epoch in force.</summary>
    public async Task<string> InitializeEpochAsync()
    {
        var db = _connection.Database;
        await db.StringSetAsync(_keys.Epoch, Guid.NewGuid().ToString("N"), when: When.NotExists).ConfigureAwait(false);
        return (await db.StringGetAsync(_keys.Epoch).ConfigureAwait(false)).ToString();
    }

    /// <summary>The stored (sequence, content hash) of an accepted batch id, if any.</summary>
    public async Task<(long Sequence, string Hash)?> GetBatchAsync(string batchId)
    {
        var v = await _connection.Database.StringGetAsync(_keys.Batch(batchId)).ConfigureAwait(false);
        return v.IsNull ? null : ParseBatchValue(v.ToString());
    }

    /// <summary>A <c>batch:&lt;id&gt;</c> value: <c>&lt;sequence&gt;:&lt;content hash&gt;</c>.</summary>
    internal static (long Sequence, string Hash) ParseBatchValue(string v)
    {
        var colon = v.IndexOf(':', StringComparison.Ordinal);
        return (long.Parse(v.AsSpan(0, colon), CultureInfo.InvariantCulture), v[(colon + 1)..]);
    }

    /// <summary>Asks for <see cref="RedisOptions.AckReplicas"/> replicas to confirm; returns how many did.</summary>
    public async Task<long> WaitForReplicasAsync()
    {
        if (_options.AckReplicas == 0)
        {
            return 0;
        }

        var r = await _connection.Database.ExecuteAsync("WAIT", _options.AckReplicas, (long)_options.AckReplicasTimeout.TotalMilliseconds).ConfigureAwait(false);
        return (long)r;
    }

    /// <summary>Log entries with sequence above <paramref name="afterSequence"/>, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSequence, int count)
    {
        var entries = await _connection.Database.StreamRangeAsync(_keys.Log, $"{afterSequence + 1}-0", "+", count).ConfigureAwait(false);
        var result = new List<LogEntry>(entries.Length);
        foreach (var e in entries)
        {
            var id = e.Id.ToString();
            var seq = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            string batchId = "";
            long ticks = 0;
            byte[] m = [];
            byte[] d = [];
            foreach (var nv in e.Values)
            {
                switch (nv.Name.ToString())
                {
                    case "b": batchId = nv.Value.ToString(); break;
                    case "t": ticks = (long)nv.Value; break;
                    case "m": m = (byte[])nv.Value!; break;
                    case "d": d = (byte[])nv.Value!; break;
                    default: break;
                }
            }

            result.Add(new LogEntry(seq, batchId, ticks, MutationCodec.Decode(m)) { Devices = DeviceChangeCodec.Decode(d) });
        }

        return result;
    }
}
