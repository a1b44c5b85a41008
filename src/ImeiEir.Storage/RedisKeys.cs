using System.Globalization;
using ImeiEir.Core.Policy;
using StackExchange.Redis;

namespace ImeiEir.Storage;

/// <summary>
/// The Redis key schema, in one place: every key and channel a node reads or writes, named as docs/redis-schema.md
/// names them, all under <c>Redis:KeyPrefix</c>. Nothing else in the code spells a key.
/// </summary>
public sealed class RedisKeys
{
    public RedisKeys(string prefix)
    {
        Prefix = prefix;
        Epoch = K("epoch");
        Sequence = K("seq");
        Log = K("log");
        Checkpoint = K("ckpt");
        CheckpointLock = K("lock:ckpt");
        Stolen = K("stolen");
        Audit = K("audit");
        CheckpointChunkPrefix = prefix + ":ckpt:";
        GracePrefix = prefix + ":grace:";
        Changes = RedisChannel.Literal(prefix + ":events");
        GraceEvents = RedisChannel.Literal(prefix + ":grace-events");
    }

    public string Prefix { get; }

    /// <summary><c>epoch</c>: the random id of this cluster's history.</summary>
    public RedisKey Epoch { get; }

    /// <summary><c>seq</c>: the last committed sequence.</summary>
    public RedisKey Sequence { get; }

    /// <summary><c>log</c>: the stream of committed batches, id <c>&lt;sequence&gt;-1</c>.</summary>
    public RedisKey Log { get; }

    /// <summary><c>ckpt</c>: the newest checkpoint's <c>seq</c> and <c>chunks</c>.</summary>
    public RedisKey Checkpoint { get; }

    /// <summary><c>lock:ckpt</c>: the node writing a checkpoint.</summary>
    public RedisKey CheckpointLock { get; }

    /// <summary><c>stolen</c>: IMEI → police case reference.</summary>
    public RedisKey Stolen { get; }

    /// <summary><c>audit</c>: the audit trail, a stream of committed changes by Redis time (docs/audit.md).</summary>
    public RedisKey Audit { get; }

    /// <summary>What <see cref="CheckpointChunk"/> keys start with (the checkpoint script deletes old chunks by it).</summary>
    public string CheckpointChunkPrefix { get; }

    /// <summary>What grace hash keys start with.</summary>
    public string GracePrefix { get; }

    /// <summary><c>events</c>: a sequence was committed.</summary>
    public RedisChannel Changes { get; }

    /// <summary><c>grace-events</c>: <c>imei:subscriber:ticks</c> of a new grace mark.</summary>
    public RedisChannel GraceEvents { get; }

    /// <summary><c>batch:&lt;batch_id&gt;</c>: <c>&lt;sequence&gt;:&lt;content hash&gt;</c>.</summary>
    public RedisKey Batch(string batchId) => K("batch:" + batchId);

    /// <summary><c>ckpt:&lt;seq&gt;:&lt;i&gt;</c>: chunk <paramref name="index"/> of the checkpoint at <paramref name="sequence"/>.</summary>
    public RedisKey CheckpointChunk(long sequence, int index)
        => CheckpointChunkPrefix + sequence.ToString(CultureInfo.InvariantCulture) + ":" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>ckpt:&lt;seq&gt;:d&lt;i&gt;</c>: chunk <paramref name="index"/> of the device directory of the checkpoint at <paramref name="sequence"/>.</summary>
    public RedisKey DirectoryChunk(long sequence, int index)
        => CheckpointChunkPrefix + sequence.ToString(CultureInfo.InvariantCulture) + ":d" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>grace:&lt;subscriber key&gt;</c>: IMEI → first-check UTC ticks.</summary>
    public RedisKey Grace(SubscriberKey subscriber) => Grace(subscriber.Value);

    public RedisKey Grace(long subscriberKey) => GracePrefix + subscriberKey.ToString(CultureInfo.InvariantCulture);

    /// <summary>The subscriber of a grace hash key.</summary>
    public SubscriberKey SubscriberOf(RedisKey graceKey)
        => new(long.Parse(graceKey.ToString().AsSpan(GracePrefix.Length), CultureInfo.InvariantCulture));

    private RedisKey K(string suffix) => Prefix + ":" + suffix;
}
