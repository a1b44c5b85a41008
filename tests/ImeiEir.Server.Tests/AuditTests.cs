using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests;

/// <summary>
/// The audit trail (docs/audit.md): every accepted batch and self-service switch, from any client on any node, is in
/// <c>RegistrySync.GetAudit</c> exactly once with the client's name; duplicates and refused batches are not.
/// </summary>
public sealed class AuditTests : RedisTest
{
    private const string Imei = "35693803564380";

    private static DeltaBatch Batch(string id, params Delta[] deltas)
    {
        var batch = new DeltaBatch { BatchId = id };
        batch.Deltas.AddRange(deltas);
        return batch;
    }

    private static async Task<List<BatchAck>> ApplyAsync(TestNode node, string key, params DeltaBatch[] batches)
    {
        using var call = node.Sync.Apply(TestNode.Auth(key));
        var acks = new List<BatchAck>();
        foreach (var b in batches)
        {
            await call.RequestStream.WriteAsync(b);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            acks.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();
        return acks;
    }

    private static async Task<List<AuditEntry>> ReadAllAsync(TestNode node, GetAuditRequest request)
    {
        var all = new List<AuditEntry>();
        while (true)
        {
            var page = await node.Sync.GetAuditAsync(request, TestNode.Auth(TestNode.SyncKey));
            Assert.True(page.Entries.Count <= (request.PageSize == 0 ? 100 : request.PageSize));
            all.AddRange(page.Entries);
            if (page.NextPageToken.Length == 0)
            {
                return all;
            }

            request = request.Clone();
            request.PageToken = page.NextPageToken;
        }
    }

    [Fact]
    public async Task BatchesFromTwoClientsOnTwoNodes_ExactlyOneEntryEachWithTheClientsName()
    {
        await using var first = await TestNode.StartAsync(Redis.Configuration);
        await using var second = await TestNode.StartAsync(Redis.Configuration);

        // 6 batches by "registry" on the first node, 4 by "ops" on the second, then retries (duplicates) and a
        // refused batch, which are not changes.
        var registry = await ApplyAsync(first, TestNode.SyncKey, [.. Enumerable.Range(0, 6).Select(i => Batch($"reg-{i}", D.Register($"dev-{i}", $"3569380356438{i}"), D.Bind(Imei, $"99670000000{i}")))]);
        var ops = await ApplyAsync(second, TestNode.AllKey, [.. Enumerable.Range(0, 4).Select(i => Batch($"ops-{i}", D.Subscriber($"43701000000000{i}", $"99670100000{i}")))]);
        var retried = await ApplyAsync(second, TestNode.AllKey, Batch("reg-2", D.Register("dev-2", "35693803564382"), D.Bind(Imei, "996700000002")));
        var refused = await ApplyAsync(first, TestNode.SyncKey, Batch("bad", D.Register("dev-x", "490154203237519")));
        Assert.All(registry.Concat(ops), a => Assert.True(a.Accepted && !a.Duplicate, a.ToString()));
        Assert.True(retried[0].Duplicate);
        Assert.False(refused[0].Accepted);

        var all = await ReadAllAsync(first, new GetAuditRequest { PageSize = 3 });

        Assert.Equal(10, all.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), all.Select(e => e.Sequence).Order());
        Assert.Equal(registry.Select(a => a.Sequence).Concat(ops.Select(a => a.Sequence)).Order(), all.Select(e => e.Sequence));
        var byBatch = all.ToDictionary(e => e.BatchId);
        foreach (var i in Enumerable.Range(0, 6))
        {
            var e = byBatch[$"reg-{i}"];
            Assert.Equal("registry", e.Client);
            Assert.Equal(AuditSource.Sync, e.Source);
            Assert.Equal(1u, e.Counts.RegisterDevice);
            Assert.Equal(1u, e.Counts.Bind);
            Assert.Equal(0u, e.Counts.UpsertSubscriber);
            Assert.StartsWith("127.0.0.1:", e.SourceAddress, StringComparison.Ordinal);
            Assert.NotEmpty(e.Node);
        }

        foreach (var i in Enumerable.Range(0, 4))
        {
            var e = byBatch[$"ops-{i}"];
            Assert.Equal("ops", e.Client);
            Assert.Equal(1u, e.Counts.UpsertSubscriber);
            Assert.Equal(0u, e.Counts.RegisterDevice);
        }

        Assert.All(all, e => Assert.InRange(e.Time.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task SelfServiceSwitch_RecordedWithTheUssdClient()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);
        Assert.True((await node.ApplyOneAsync("bind", D.Bind(Imei, "996700000001"))).Accepted);

        var reply = await node.SelfService.SwitchNumberAsync(
            new SwitchNumberRequest { PreviousMsisdn = "996700000001", NewMsisdn = "996700000002", Imei = Imei },
            TestNode.Auth(TestNode.SelfServiceKey));

        var all = await ReadAllAsync(node, new GetAuditRequest());
        Assert.Equal(2, all.Count);
        var sw = all[1];
        Assert.Equal(reply.Sequence, sw.Sequence);
        Assert.Equal("ussd", sw.Client);
        Assert.Equal(AuditSource.SelfService, sw.Source);
        Assert.Equal(1u, sw.Counts.SwitchNumber);
        Assert.Equal("registry", all[0].Client);
    }

    [Fact]
    public async Task GetAudit_BySequenceRange_ThatRangeOnly()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);
        await ApplyAsync(node, TestNode.SyncKey, [.. Enumerable.Range(0, 8).Select(i => Batch($"b-{i}", D.Bind(Imei, $"99670000000{i}")))]);

        var range = await ReadAllAsync(node, new GetAuditRequest { FromSequence = 3, ToSequence = 6, PageSize = 2 });

        Assert.Equal([3UL, 4UL, 5UL, 6UL], range.Select(e => e.Sequence));
    }

    [Fact]
    public async Task GetAudit_BadRequestOrRole_RefusedNamingTheProblem()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);

        var badToken = await Assert.ThrowsAsync<RpcException>(() => node.Sync.GetAuditAsync(new GetAuditRequest { PageToken = "nope" }, TestNode.Auth(TestNode.SyncKey)).ResponseAsync);
        var badSize = await Assert.ThrowsAsync<RpcException>(() => node.Sync.GetAuditAsync(new GetAuditRequest { PageSize = 5000 }, TestNode.Auth(TestNode.SyncKey)).ResponseAsync);
        var wrongRole = await Assert.ThrowsAsync<RpcException>(() => node.Sync.GetAuditAsync(new GetAuditRequest(), TestNode.Auth(TestNode.SelfServiceKey)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, badToken.StatusCode);
        Assert.StartsWith("page_token", badToken.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, badSize.StatusCode);
        Assert.StartsWith("page_size", badSize.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, wrongRole.StatusCode);
    }
}
