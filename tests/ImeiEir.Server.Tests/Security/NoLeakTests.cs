using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Storage;

namespace ImeiEir.Server.Tests.Security;

/// <summary>Nothing secret or personal leaves the node by accident: storage failures reach clients and logs without identifiers.</summary>
public sealed class NoLeakTests : RedisTest
{
    private const string Msisdn = "996555123987";
    private const string Imsi = "437011234567890";

    [Fact]
    public async Task StorageFailure_DuringSyncCheckAndSwitch_NoIdentifierInClientTextOrLog()
    {
        var logs = new CapturedLogs();
        await using var node = await TestNode.StartAsync(Redis.Configuration, logs: logs);
        Assert.True((await node.ApplyOneAsync("seed", D.Bind(Ids.Bound14, Ids.BoundMsisdn, Ids.BoundImsi))).Accepted);
        await Redis.StopAsync();

        // A sync batch naming a subscriber, a check that starts a grace mark (eir:grace:<MSISDN> in Redis), a switch.
        var sync = await Assert.ThrowsAsync<RpcException>(async () =>
            await node.ApplyOneAsync("while-down", D.Bind(Ids.Bound14, Msisdn, Imsi), D.Subscriber(Imsi, Msisdn)));
        await node.CheckAsync(Ids.Bound14, msisdn: Msisdn);
        var ussd = await Assert.ThrowsAsync<RpcException>(async () =>
            await node.SelfService.SwitchNumberAsync(new SwitchNumberRequest { PreviousMsisdn = Ids.BoundMsisdn, NewMsisdn = Msisdn, Imei = Ids.Bound14 }, TestNode.Auth(TestNode.SelfServiceKey)));
        await Redis.StartAsync(); // the node reconnects; its retries log too

        Assert.Equal(StatusCode.Unavailable, sync.StatusCode);
        Assert.Equal(StatusCode.Unavailable, ussd.StatusCode);
        foreach (var secret in new[] { Msisdn, Msisdn[3..], Imsi, Ids.Bound14, Ids.BoundMsisdn[3..], TestNode.SyncKey, TestNode.SelfServiceKey })
        {
            Assert.DoesNotContain(secret, sync.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, ussd.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs.All, StringComparison.Ordinal);
        }

        Assert.NotEmpty(logs.Lines);
    }

    [Fact]
    public void StorageErrors_RedisMessageWithKey_MaskedForLogAndAbsentForClient()
    {
        var ex = new StackExchange.Redis.RedisException(
            "Timeout performing HSET (5000ms), inst: 1, key: eir:grace:996700123456, owner eir:owner:35693803564380");

        var log = StorageErrors.ForLog(ex);
        var client = StorageErrors.ForClient(ex);

        Assert.Equal("RedisException: Timeout performing HSET (5000ms), inst: 1, key: eir:grace:############, owner eir:owner:##############", log);
        Assert.Equal("storage unavailable (RedisException); retry", client);
    }
}
