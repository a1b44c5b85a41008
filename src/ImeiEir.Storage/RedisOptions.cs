namespace ImeiEir.Storage;

/// <summary>The durable store (configuration section <c>Redis</c>).</summary>
public sealed class RedisOptions
{
    /// <summary>
    /// StackExchange.Redis configuration string. Default <c>127.0.0.1:6379</c>. TLS: <c>ssl=true</c> (with
    /// <see cref="CaPath"/> for a private CA); an ACL user: <c>user=</c> with <see cref="PasswordFile"/> (or
    /// <c>password=</c>, which then sits in the environment or a config file). Logged with the password masked.
    /// </summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>
    /// A file whose content (without its trailing newline) is the Redis password, so the secret stays out of the
    /// environment and config files; it overrides <c>password=</c> in <see cref="Configuration"/>. Read when the node
    /// connects (a changed password takes effect at the next start). Default empty: none.
    /// </summary>
    public string PasswordFile { get; set; } = "";

    /// <summary>
    /// PEM bundle of the CA certificate(s) the Redis server's certificate must chain to; set, it is the only trust
    /// (the system store is not consulted). Needs <c>ssl=true</c>. Read at every TLS handshake, so a replaced bundle
    /// applies from the next connection. Default empty: the system store.
    /// </summary>
    public string CaPath { get; set; } = "";

    /// <summary>The node's client certificate for Redis <c>tls-auth-clients yes|optional</c>. Default: none.</summary>
    public RedisClientCertificateOptions ClientCertificate { get; set; } = new();

    /// <summary>Prefix of every key, so several clusters may share one Redis. Default <c>eir</c>.</summary>
    public string KeyPrefix { get; set; } = "eir";

    /// <summary>
    /// Replicas that must confirm a batch (Redis <c>WAIT</c>) before it is acked. Default 0: the ack means the
    /// primary has it (and, with <c>appendfsync always</c>, its disk). See deploy/redis/README.md for what each choice can lose.
    /// </summary>
    public int AckReplicas { get; set; }

    /// <summary>How long an ack waits for <see cref="AckReplicas"/>. Default 1 s.</summary>
    public TimeSpan AckReplicasTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a write (its reads, its commit, <c>WAIT</c> beyond <see cref="AckReplicasTimeout"/>) and the log
    /// following it depends on wait for one Redis reply before the batch is answered UNAVAILABLE (the client retries
    /// with the same batch id; a commit that still lands is then acked as a duplicate). Default 2 s: a commit takes
    /// milliseconds, while a primary that stopped answering without closing its connections (its host hung or cut off)
    /// would otherwise hold every batch until StackExchange.Redis' own timeout (10 s), past a Sentinel failover (~3 s).
    /// Hydration and checkpoints are not bounded by it.
    /// </summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an accepted batch id is remembered for retries. Default 7 days (the contract's minimum).</summary>
    public TimeSpan BatchIdRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A checkpoint is written after this many mutations since the last one. Default 2 000 000.</summary>
    public long CheckpointEveryMutations { get; set; } = 2_000_000;

    /// <summary>...and at most this often. Default 1 minute.</summary>
    public TimeSpan CheckpointMinInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Log entries kept behind the newest checkpoint, so a lagging node can catch up without reloading. Default 100 000.</summary>
    public long LogEntriesKeptBehindCheckpoint { get; set; } = 100_000;

    /// <summary>How often a node polls the log when no change notification arrives (a missed pub/sub message). Default 1 s.</summary>
    public TimeSpan FollowPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest batch accepted, in deltas. Default 10 000.</summary>
    public int MaxBatchDeltas { get; set; } = 10_000;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException("Redis:Configuration is empty.");
        }

        // Every file setting is read once here, so a wrong path stops the start with the setting named; the connection
        // reads them again (RedisConnection).
        RedisConnection.Validate(this);

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.Contains('{') || KeyPrefix.Contains('}'))
        {
            throw new ArgumentException("Redis:KeyPrefix must be non-empty without braces.");
        }

        if (AckReplicas < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AckReplicas), "Redis:AckReplicas must be 0 or more.");
        }

        if (BatchIdRetention < TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(BatchIdRetention), "Redis:BatchIdRetention must be at least 7 days.");
        }

        if (MaxBatchDeltas is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchDeltas), "Redis:MaxBatchDeltas must be 1 to 1 000 000.");
        }

        if (AckReplicasTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AckReplicasTimeout), "Redis:AckReplicasTimeout must be positive.");
        }

        if (ReplyTimeout < TimeSpan.FromMilliseconds(100) || ReplyTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ReplyTimeout), $"Redis:ReplyTimeout must be between 00:00:00.100 and 00:01:00 (is {ReplyTimeout}).");
        }

        if (CheckpointEveryMutations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEveryMutations), "Redis:CheckpointEveryMutations must be at least 1.");
        }

        if (CheckpointMinInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointMinInterval), "Redis:CheckpointMinInterval must not be negative.");
        }

        if (LogEntriesKeptBehindCheckpoint < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LogEntriesKeptBehindCheckpoint), "Redis:LogEntriesKeptBehindCheckpoint must not be negative.");
        }

        if (FollowPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FollowPollInterval), "Redis:FollowPollInterval must be positive.");
        }
    }
}

/// <summary>The client certificate of <see cref="RedisOptions.ClientCertificate"/> (<c>Redis:ClientCertificate</c>).</summary>
public sealed class RedisClientCertificateOptions
{
    /// <summary>PEM certificate (leaf first, then any intermediates). Default empty: no client certificate.</summary>
    public string Path { get; set; } = "";

    /// <summary>Its unencrypted PEM private key; empty when the key is in <see cref="Path"/>. Default empty.</summary>
    public string KeyPath { get; set; } = "";
}
