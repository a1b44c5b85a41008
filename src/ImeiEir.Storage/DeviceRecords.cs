using System.Buffers.Binary;
using ImeiEir.Core.Registry;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// Device records read for planning, exact as of the store's <see cref="Sequence"/> (-1: read across two
/// sequences, not exact) — for the owners of the IMEIs that the index view of <see cref="ViewSequence"/> held as
/// registered. IMEIs registered after that view have their owners in the commits since.
/// </summary>
public sealed record PrefetchedDevices(InMemoryDeviceDirectory Directory, long Sequence, long ViewSequence)
{
    /// <summary>The stored (sequence, content hash) of the batch id at that sequence, if it was known then.</summary>
    public (long Sequence, string Hash)? KnownBatch { get; init; }
}

/// <summary>
/// The device records kept beside the index (<c>dev:&lt;bucket&gt;</c>, <c>own:&lt;imei &gt;&gt; 10&gt;</c>), read: what a
/// batch's plan needs (<see cref="BatchReads"/>, one script call, exact for one sequence) and the owner of one IMEI
/// (self-service).
/// </summary>
public sealed class DeviceRecords
{
    // KEYS: 1 seq, 2 a batch id's key, then hashes; ARGV: a field of each hash. Returns the sequence, the batch id's
    // value (nil if unknown), then the values in order (nil where absent): read together, so the values are those
    // of exactly that sequence.
    private const string HashGetManyScript = """
        local r = {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2])}
        for i = 3, #KEYS do r[i] = redis.call('HGET', KEYS[i], ARGV[i - 2]) end
        return r
        """;

    private readonly RedisConnectionProvider _connection;
    private readonly RedisKeys _keys;

    public DeviceRecords(RedisConnectionProvider connection, RedisKeys keys)
    {
        _connection = connection;
        _keys = keys;
    }

    /// <summary>
    /// The devices and owners <paramref name="reads"/> names, and whether <paramref name="batchId"/> is known, in one
    /// round trip. The result is exact for the store's sequence it reports, provided that equals the view's.
    /// </summary>
    public async Task<PrefetchedDevices> PrefetchDevicesAsync(string batchId, BatchReads reads)
    {
        ArgumentNullException.ThrowIfNull(reads);
        var directory = new InMemoryDeviceDirectory();
        var idList = reads.DeviceIds;
        var imeiList = reads.RegisteredImeis;
        var keys = new RedisKey[idList.Length + imeiList.Length];
        var fields = new RedisValue[keys.Length];
        for (var i = 0; i < idList.Length; i++)
        {
            keys[i] = _keys.Device(idList[i]);
            fields[i] = idList[i];
        }

        for (var i = 0; i < imeiList.Length; i++)
        {
            keys[idList.Length + i] = _keys.Owner(imeiList[i]);
            fields[idList.Length + i] = RedisKeys.OwnerField(imeiList[i]);
        }

        var batchKey = _keys.Batch(batchId);
        var (sequence, batch, values) = await HashGetManyAsync(batchKey, keys, fields).ConfigureAwait(false);
        for (var i = 0; i < idList.Length; i++)
        {
            if (!values[i].IsNull)
            {
                directory.Add(idList[i], UnpackImeis((byte[])values[i]!));
            }
        }

        // An IMEI owned by a device the batch does not name: read that device's IMEIs too (rare: a conflict).
        var owners = new List<(long Imei, string Owner)>();
        for (var i = 0; i < imeiList.Length; i++)
        {
            var v = values[idList.Length + i];
            if (!v.IsNull && !directory.TryGetDeviceOf(imeiList[i], out _))
            {
                owners.Add((imeiList[i], v.ToString()));
            }
        }

        if (owners.Count > 0)
        {
            var (ownerSequence, _, ownerValues) = await HashGetManyAsync(
                batchKey,
                [.. owners.Select(o => _keys.Device(o.Owner))],
                [.. owners.Select(o => (RedisValue)o.Owner)]).ConfigureAwait(false);
            if (ownerSequence != sequence)
            {
                sequence = -1; // another commit in between: not exact for any one sequence
            }

            for (var i = 0; i < owners.Count; i++)
            {
                if (!directory.TryGetDeviceOf(owners[i].Imei, out _))
                {
                    directory.Add(owners[i].Owner, ownerValues[i].IsNull ? [owners[i].Imei] : UnpackImeis((byte[])ownerValues[i]!));
                }
            }
        }

        return new PrefetchedDevices(directory, sequence, reads.ViewSequence) { KnownBatch = batch.IsNull ? null : RedisLog.ParseBatchValue(batch.ToString()) };
    }

    /// <summary>The device id an IMEI is registered under, if any.</summary>
    public async Task<string?> GetDeviceOfAsync(long imei)
    {
        var v = await _connection.Database.HashGetAsync(_keys.Owner(imei), RedisKeys.OwnerField(imei)).ConfigureAwait(false);
        return v.IsNull ? null : v.ToString();
    }

    // HGET of (keys[i], fields[i]) for every i and the store's sequence, in one script call (one message instead of
    // one per field).
    private async Task<(long Sequence, RedisValue Batch, RedisValue[] Values)> HashGetManyAsync(RedisKey batchKey, RedisKey[] keys, RedisValue[] fields)
    {
        var result = (RedisValue[])(await _connection.Database.ScriptEvaluateAsync(HashGetManyScript, [_keys.Sequence, batchKey, .. keys], fields).ConfigureAwait(false))!;
        return ((long)result[0], result[1], result[2..]);
    }

    private static long[] UnpackImeis(byte[] bytes)
    {
        var result = new long[bytes.Length / 8];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        return result;
    }
}
