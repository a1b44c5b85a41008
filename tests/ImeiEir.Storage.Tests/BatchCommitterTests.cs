using ImeiEir.Core.Policy;
using ImeiEir.Storage.Tests.Support;
using ImeiEir.Tests.Shared;
using StackExchange.Redis;

namespace ImeiEir.Storage.Tests;

/// <summary>
/// <see cref="BatchCommitter.CommitAsync"/>: every answer of the commit script, in the order the script decides
/// (docs/redis-schema.md, "Writing"), and what Redis holds after each. A known batch id is answered first
/// (<see cref="CommitStatus.DuplicateId"/> with the stored sequence and hash: same hash, a duplicate; another hash,
/// the id was reused, which the caller refuses), then the epoch (<see cref="CommitStatus.HistoryMismatch"/>), then the
/// sequence and the pipelined predecessor (<see cref="CommitStatus.SequenceMoved"/>); otherwise the batch is
/// <see cref="CommitStatus.Committed"/>. Whatever is refused writes nothing.
/// </summary>
public sealed class BatchCommitterTests : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string ImeiA = "35693803564380";
    private const string ImeiB = "35209900176148";
    private const string ImeiC = "35332206453425";
    private static readonly long Ticks = StoreWriter.CommitTime.UtcTicks;

    private readonly TestCluster _cluster;

    public BatchCommitterTests(RedisFixture redis) => _cluster = new TestCluster(redis);

    private IDatabase Db => _cluster.Db;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task CommitAsync_NextSequence_CommittedWithLogEntryBatchIdAndRecords()
    {
        var writer = await _cluster.OpenWriterAsync();
        var plan = await writer.PlanAsync(
            D.Register("dev-1", ImeiA, ImeiB),
            D.Stolen(ImeiC, "case-7"),
            D.Bind(ImeiC, "996700111111", "437010000000001"),
            D.Subscriber("437050000000009", "996700222222"));

        var result = await writer.Store.Commits.CommitAsync(0, writer.Epoch, "b-1", "hash-1", StoreWriter.TestOrigin, plan, Ticks);

        Assert.Equal(new CommitResult(CommitStatus.Committed, 1, "hash-1"), result);
        Assert.Equal(1, await _cluster.SequenceAsync());
        // The log entry: id <sequence>-1, the batch id, the time, the resolved mutations.
        var entry = Assert.Single(await Db.StreamRangeAsync(_cluster.Key("log")));
        Assert.Equal("1-1", entry.Id.ToString());
        Assert.Equal("b-1", entry["b"].ToString());
        Assert.Equal(Ticks, (long)entry["t"]);
        Assert.Equal(plan.Mutations, MutationCodec.Decode((byte[])entry["m"]!));
        // The batch id: <sequence>:<content hash>, kept Redis:BatchIdRetention (7 days by default).
        Assert.Equal("1:hash-1", (await Db.StringGetAsync(_cluster.Key("batch:b-1"))).ToString());
        var ttl = await Db.KeyTimeToLiveAsync(_cluster.Key("batch:b-1"));
        Assert.InRange(ttl.GetValueOrDefault(), TimeSpan.FromDays(7) - TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        // The device (its id and IMEIs, which give the owner of each) is in the log entry: every node derives its
        // device directory from it. The stolen case is kept beside the index.
        var devices = Schema.DeviceChanges((byte[])entry["d"]!);
        Assert.Empty(devices.Removed);
        var device = Assert.Single(devices.Added);
        Assert.Equal("dev-1", device.Id);
        Assert.Equal([Schema.Imei(ImeiA), Schema.Imei(ImeiB)], device.Imeis);
        Assert.Equal("case-7", (await Db.HashGetAsync(_cluster.Key("stolen"), Schema.Imei(ImeiC))).ToString());
        // The audit entry (docs/audit.md): sequence, batch id and the origin, in the same commit.
        var audit = Assert.Single(await Db.StreamRangeAsync(_cluster.Key("audit")));
        Assert.Equal("1", audit["s"].ToString());
        Assert.Equal("b-1", audit["b"].ToString());
        Assert.Equal("storage-tests", audit["c"].ToString());
        Assert.Equal("127.0.0.1:1", audit["a"].ToString());
        Assert.Equal("1", audit["o"].ToString());
        // Bindings, subscribers and devices live in the log only (and later in checkpoints): no key of their own.
        Assert.Equal(
            new[] { "epoch", "seq", "log", "batch:b-1", "stolen", "audit" }.Select(k => _cluster.Prefix + ":" + k).Order(StringComparer.Ordinal),
            (await _cluster.DumpAsync()).Keys);
    }

    [Fact]
    public async Task CommitAsync_Committed_ReadBackAsWrittenThroughLogAndBatchId()
    {
        var writer = await _cluster.OpenWriterAsync();
        var plan = await writer.PlanAsync(D.Register("dev-1", ImeiA), D.Bind(ImeiB, "996700111111"));

        await writer.Store.Commits.CommitAsync(0, writer.Epoch, "b-1", "hash-1", StoreWriter.TestOrigin, plan, Ticks);
        var read = Assert.Single(await writer.Store.Log.ReadLogAsync(0, 10));

        Assert.Equal((1L, "b-1", Ticks), (read.Sequence, read.BatchId, read.AppliedAtTicks));
        Assert.Equal(plan.Mutations, read.Mutations);
        Assert.Equal((1L, "hash-1"), await writer.Store.Log.GetBatchAsync("b-1"));
        Assert.Null(await writer.Store.Log.GetBatchAsync("b-2"));
        Assert.Equal(new StoreHead(writer.Epoch, 1), await writer.Store.Log.GetHeadAsync());
    }

    [Fact]
    public async Task CommitAsync_Committed_PublishesSequenceWhileRefusedCommitPublishesNothing()
    {
        var messages = await _cluster.Raw.GetSubscriber().SubscribeAsync(_cluster.ChangeChannel);
        await _cluster.WaitForSubscribersAsync(1);
        var writer = await _cluster.OpenWriterAsync();
        var plan = await writer.PlanAsync(D.Bind(ImeiA, "996700111111"));

        var refused = await writer.Store.Commits.CommitAsync(7, writer.Epoch, "b-0", "hash-0", StoreWriter.TestOrigin, plan, Ticks);
        var committed = await writer.Store.Commits.CommitAsync(0, writer.Epoch, "b-1", "hash-1", StoreWriter.TestOrigin, plan, Ticks);
        // Messages arrive in order: the first one is the committed sequence's, so the refused commit sent none.
        var first = await Eventually.ReachAsync(() => Task.FromResult(messages.TryRead(out var m) ? m.Message.ToString() : null), m => m is not null);
        await messages.UnsubscribeAsync();

        Assert.Equal(CommitStatus.SequenceMoved, refused.Status);
        Assert.Equal(CommitStatus.Committed, committed.Status);
        Assert.Equal("1", first);
    }

    [Fact]
    public async Task CommitAsync_RemovalsInPlan_DeviceOwnerStolenAndGraceFieldsDeleted()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("setup", D.Register("dev-1", ImeiA, ImeiB), D.Register("dev-2", ImeiC), D.Stolen(ImeiA, "case-1"), D.Bind("86753090000001", "996700111111"));
        var newNumber = SubscriberKey.FromMsisdn(996700999999);
        await writer.Store.GraceMarks.MergeGraceMarkAsync(86753090000001, newNumber, Ticks, TimeSpan.FromDays(30));
        Assert.True(await Db.HashExistsAsync(_cluster.Key(Schema.GraceKey(996700999999)), 86753090000001));
        var plan = await writer.PlanAsync(D.Unregister("dev-1"), D.ClearStolen(ImeiA), D.Switch("996700111111", "996700999999", "86753090000001"));

        var result = await writer.Store.Commits.CommitAsync(1, writer.Epoch, "removals", "hash-r", StoreWriter.TestOrigin, plan, Ticks);

        Assert.Equal(CommitStatus.Committed, result.Status);
        // The removal is in the log entry; a node that follows the log drops the device and its IMEIs' owner.
        var entry = (await Db.StreamRangeAsync(_cluster.Key("log"))).Last();
        Assert.Equal(["dev-1"], Schema.DeviceChanges((byte[])entry["d"]!).Removed);
        var follower = await _cluster.OpenWriterAsync();
        await follower.CatchUpAsync();
        Assert.False(follower.Devices.TryGetDevice("dev-1", out _));
        foreach (var imei in new[] { ImeiA, ImeiB })
        {
            Assert.False(follower.Devices.TryGetDeviceOf(Schema.Imei(imei), out _));
        }

        Assert.False(await Db.HashExistsAsync(_cluster.Key("stolen"), Schema.Imei(ImeiA)));
        Assert.False(await Db.HashExistsAsync(_cluster.Key(Schema.GraceKey(996700999999)), 86753090000001));
        // What the batch did not name stays.
        Assert.True(follower.Devices.TryGetDevice("dev-2", out _));
        Assert.True(follower.Devices.TryGetDeviceOf(Schema.Imei(ImeiC), out var ownerC));
        Assert.Equal("dev-2", ownerC);
    }

    [Fact]
    public async Task CommitAsync_DeviceUnregisteredAndRegisteredAgainInOneBatch_RecordHoldsItsNewImeis()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("setup", D.Register("dev-1", ImeiA, ImeiB));

        var result = await writer.CommitAsync("again", D.Unregister("dev-1"), D.Register("dev-1", ImeiA, ImeiC));

        Assert.Equal(CommitStatus.Committed, result.Status);
        var follower = await _cluster.OpenWriterAsync();
        await follower.CatchUpAsync();
        Assert.True(follower.Devices.TryGetDevice("dev-1", out var device));
        Assert.Equal([Schema.Imei(ImeiA), Schema.Imei(ImeiC)], device);
        var owners = new List<string?>();
        foreach (var imei in new[] { ImeiA, ImeiB, ImeiC })
        {
            owners.Add(follower.Devices.TryGetDeviceOf(Schema.Imei(imei), out var owner) ? owner : null);
        }

        Assert.Equal(["dev-1", null, "dev-1"], owners);
    }

    [Fact]
    public async Task CommitAsync_MoreThanThousandFieldsOfOneHash_EveryFieldWrittenThenDeleted()
    {
        // 1 024 stolen reports (one hash): the script gets them in groups of at most 1 000 fields.
        const long first = 35_693_803_564_032;
        var imeis = Enumerable.Range(0, 1024).Select(i => (first + i).ToString("D14", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var stolenKey = _cluster.Key("stolen");
        var writer = await _cluster.OpenWriterAsync();

        var reported = await writer.CommitAsync("report", [.. imeis.Select((imei, i) => D.Stolen(imei, $"case-{i}"))]);
        var casesAfterReport = await Db.HashGetAllAsync(stolenKey);
        var cleared = await writer.CommitAsync("clear", [.. imeis.Select(imei => D.ClearStolen(imei))]);

        Assert.Equal(CommitStatus.Committed, reported.Status);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (first + i, $"case-{i}")), casesAfterReport.Select(e => ((long)e.Name, e.Value.ToString())).Order());
        Assert.Equal(CommitStatus.Committed, cleared.Status);
        Assert.False(await Db.KeyExistsAsync(stolenKey));
    }

    [Theory]
    [InlineData(0)] // a retry right after the commit
    [InlineData(2)] // a retry after other batches: the known id is answered before the sequence is looked at
    public async Task CommitAsync_BatchIdKnownSameContent_DuplicateOfEarlierSequenceNothingWritten(int committedSince)
    {
        var writer = await _cluster.OpenWriterAsync();
        var plan = await writer.PlanAsync(D.Register("dev-1", ImeiA));
        var original = await writer.Store.Commits.CommitAsync(0, writer.Epoch, "b-1", "hash-1", StoreWriter.TestOrigin, plan, Ticks);
        await writer.CatchUpAsync();
        for (var i = 0; i < committedSince; i++)
        {
            await writer.CommitOkAsync($"later-{i}", D.Bind(ImeiB, $"99670000000{i}"));
        }

        var before = await _cluster.DumpAsync();

        var retry = await writer.Store.Commits.CommitAsync(0, writer.Epoch, "b-1", "hash-1", StoreWriter.TestOrigin, plan, Ticks);

        Assert.Equal(new CommitResult(CommitStatus.Committed, 1, "hash-1"), original);
        Assert.Equal(new CommitResult(CommitStatus.DuplicateId, 1, "hash-1"), retry);
        Assert.Equal(before, await _cluster.DumpAsync());
        Assert.Equal(1 + committedSince, await _cluster.SequenceAsync());
    }

    [Fact]
    public async Task CommitAsync_BatchIdKnownOtherContent_AnsweredWithStoredHashNothingWritten()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitAsync("b-1", "hash-1", D.Register("dev-1", ImeiA));
        var before = await _cluster.DumpAsync();
        var other = await writer.PlanAsync(D.Register("dev-2", ImeiB));

        var result = await writer.Store.Commits.CommitAsync(1, writer.Epoch, "b-1", "hash-2", StoreWriter.TestOrigin, other, Ticks);

        // The stored hash differs from the one sent: the caller refuses the batch (BatchStatus.IdReused).
        Assert.Equal(new CommitResult(CommitStatus.DuplicateId, 1, "hash-1"), result);
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    [Theory]
    [InlineData("wiped")] // Redis emptied: no epoch, no sequence, nothing
    [InlineData("replaced")] // another history (another cluster's copy) at the same sequence
    public async Task CommitAsync_EpochNotTheWritersOwn_HistoryMismatchNothingWritten(string store)
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitOkAsync("b-1", D.Register("dev-1", ImeiA));
        if (store == "wiped")
        {
            await _cluster.WipeAsync();
        }
        else
        {
            await Db.StringSetAsync(_cluster.Key("epoch"), "another-history");
        }

        var before = await _cluster.DumpAsync();
        var plan = await writer.PlanAsync(D.Register("dev-2", ImeiB));

        var result = await writer.Store.Commits.CommitAsync(1, writer.Epoch, "b-2", "hash-2", StoreWriter.TestOrigin, plan, Ticks);

        Assert.Equal(CommitStatus.HistoryMismatch, result.Status);
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    [Theory]
    [InlineData(0)] // behind: other writers committed 1..3 since the plan was made
    [InlineData(2)]
    [InlineData(4)] // ahead: the store is behind the writer (restored from an older copy)
    [InlineData(9)]
    public async Task CommitAsync_ExpectedSequenceNotTheStores_SequenceMovedToStoresNothingWritten(long expected)
    {
        var writer = await _cluster.OpenWriterAsync();
        for (var i = 1; i <= 3; i++)
        {
            await writer.CommitOkAsync($"b-{i}", D.Bind(ImeiA, $"99670000000{i}"));
        }

        var before = await _cluster.DumpAsync();
        var plan = await writer.PlanAsync(D.Register("dev-1", ImeiB));

        var result = await writer.Store.Commits.CommitAsync(expected, writer.Epoch, "late", "hash-late", StoreWriter.TestOrigin, plan, Ticks);

        Assert.Equal(new CommitResult(CommitStatus.SequenceMoved, 3, null), result);
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    /// <summary>Batches committed first (<c>id=hash</c>, in order), the commit's expected sequence and predecessor, and the store's sequence.</summary>
    public static TheoryData<string, string[], long, string, long> PredecessorNotAsPlanned => new()
    {
        { "predecessor never committed; another writer's batch took its sequence", ["other=hash-other"], 1, "n=hash-n", 1 },
        { "predecessor committed, but as another sequence than planned", ["n=hash-n", "other=hash-other"], 2, "n=hash-n", 2 },
        { "predecessor's id committed with other content", ["n=hash-else"], 1, "n=hash-n", 1 },
    };

    [Theory]
    [MemberData(nameof(PredecessorNotAsPlanned))]
    public async Task CommitAsync_PipelinedPredecessorNotCommittedAsPlanned_SequenceMovedNothingWritten(string scenario, string[] committed, long expected, string predecessor, long storeSequence)
    {
        var writer = await _cluster.OpenWriterAsync();
        for (var i = 0; i < committed.Length; i++)
        {
            var (id, hash) = Split(committed[i]);
            Assert.Equal(CommitStatus.Committed, (await writer.CommitAsync(id, hash, D.Bind(ImeiA, $"99670000000{i}"))).Status);
        }

        var before = await _cluster.DumpAsync();
        var plan = await writer.PlanAsync(D.Register("dev-1", ImeiB));

        var result = await writer.Store.Commits.CommitAsync(expected, writer.Epoch, "behind", "hash-behind", StoreWriter.TestOrigin, plan, Ticks, Split(predecessor));

        Assert.True(new CommitResult(CommitStatus.SequenceMoved, storeSequence, null) == result, $"{scenario}: {result}");
        Assert.Equal(before, await _cluster.DumpAsync());
    }

    [Fact]
    public async Task CommitAsync_PipelinedPredecessorCommittedAsPlanned_Committed()
    {
        var writer = await _cluster.OpenWriterAsync();
        await writer.CommitAsync("n", "hash-n", D.Bind(ImeiA, "996700000001"));
        var plan = await writer.PlanAsync(D.Register("dev-1", ImeiB));

        var result = await writer.Store.Commits.CommitAsync(1, writer.Epoch, "behind", "hash-behind", StoreWriter.TestOrigin, plan, Ticks, ("n", "hash-n"));
        var log = await _cluster.LogSequencesAsync();

        Assert.Equal(new CommitResult(CommitStatus.Committed, 2, "hash-behind"), result);
        Assert.Equal([1L, 2L], log);
    }

    private static (string Id, string Hash) Split(string idAndHash)
    {
        var parts = idAndHash.Split('=');
        return (parts[0], parts[1]);
    }
}
