using System.Buffers.Binary;
using System.IO.Hashing;
using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Storage;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace ImeiEir.Server.Tests;

/// <summary>
/// Device and owner records follow the layout the store was created with (docs/redis-schema.md, "Record layout"):
/// new stores use layout 2, a store from before the layout key keeps layout 1, an unknown layout refuses writes.
/// </summary>
public sealed class RecordLayoutTests : RedisTest
{
    private const string Imei = "35693803564380";
    private const long ImeiKey = 35693803564380;
    private const string Other = "35209900176148";

    [Fact]
    public async Task NewStore_Layout2_OwnerRecordInItsHashBucketByFullImei()
    {
        await using var node = await TestNode.StartAsync(Redis.Configuration);
        await node.ApplyOneAsync("l1", D.Register("dev-1", Imei));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        var db = redis.GetDatabase();

        Assert.Equal("2", (string?)await db.StringGetAsync("eir:layout"));
        Assert.Equal("dev-1", (string?)await db.HashGetAsync($"eir:own:{HashBucket(ImeiKey)}", ImeiKey));
        Assert.False(await db.KeyExistsAsync($"eir:own:{ImeiKey >> 10}"));
        Assert.Equal(RecordLayout.V2, node.Services.GetRequiredService<RedisStore>().Layout);
    }

    [Fact]
    public async Task StoreFromBeforeTheLayoutKey_KeepsLayout1_RecordsReadAndWrittenThere()
    {
        await using (var old = new RedisStore(new RedisOptions { Configuration = Redis.Configuration }) { NewStoreLayout = RecordLayout.V1 })
        {
            await old.ConnectAsync();
            await old.InitializeEpochAsync();
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync("eir:layout"); // as a store created before the key existed
        await using var node = await TestNode.StartAsync(Redis.Configuration);

        await node.ApplyOneAsync("o1", D.Register("dev-1", Imei));
        var owner = (string?)await db.HashGetAsync($"eir:own:{ImeiKey >> 10}", ImeiKey & 1023);
        var conflict = await node.ApplyOneAsync("o2", D.Register("dev-2", Imei, Other));
        await node.ApplyOneAsync("o3", D.Unregister("dev-1"));
        var afterUnregister = await node.CheckAsync(Imei, "996700000001");

        Assert.Equal("dev-1", owner);
        Assert.False(conflict.Accepted);
        Assert.Contains("already registered to another device", conflict.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(Reason.NotRegistered, afterUnregister.Reason);
        Assert.False(await db.KeyExistsAsync("eir:layout"));
        Assert.Equal(RecordLayout.V1, node.Services.GetRequiredService<RedisStore>().Layout);
    }

    [Fact]
    public async Task UnknownLayout_ChecksAnswered_SyncRefusedNamingTheLayout()
    {
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration))
        {
            await redis.GetDatabase().StringSetAsync("eir:epoch", "from-a-newer-build");
            await redis.GetDatabase().StringSetAsync("eir:layout", "9");
        }

        await using var node = await TestNode.StartAsync(Redis.Configuration);
        var check = await node.CheckAsync(Imei, "996700000001");
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.ApplyOneAsync("u1", D.Register("dev-1", Imei)));

        Assert.Equal(Reason.NotRegistered, check.Reason);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("layout '9'", ex.Status.Detail, StringComparison.Ordinal);
    }

    private static ulong HashBucket(long imei)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, imei);
        return XxHash3.HashToUInt64(bytes) % (1UL << 18);
    }
}
