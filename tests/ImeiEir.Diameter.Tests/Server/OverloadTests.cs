using ImeiEir.Core.Index;
using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>
/// S13 under overload: a MICR the host's gate sheds is answered 3004 DIAMETER_TOO_BUSY (a protocol error: E bit),
/// which sends the MME to another EIR; CER, DWR and DPR are never shed (the connection must survive overload).
/// </summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task Micr_GateSheds_3004WithEBitAndSessionIdNoVerdict()
    {
        var gate = new SwitchGate { Shed = true };
        await using var server = await StartAsync(gate);
        await using var client = await DiameterTestClient.OpenAsync(server.Port);

        var answer = await client.RequestAsync(Requests.Micr(7, TestData.Registered, TestData.BoundImsi, sessionId: "mme1;1;7"));

        Assert.Equal(ResultCode.TooBusy, answer.ResultCode);
        Assert.True(answer.Header.IsError);
        Assert.False(answer.Header.IsRequest);
        Assert.Equal(CommandCode.MeIdentityCheck, answer.Header.CommandCode);
        Assert.Equal(7u, answer.Header.HopByHopId);
        Assert.Equal("mme1;1;7", answer.SessionId);
        Assert.Equal("EIR overloaded", answer.Find(AvpCode.ErrorMessage)?.Text);
        Assert.Null(answer.EquipmentStatus);
        Assert.Equal(1, gate.Asked);
    }

    [Fact]
    public async Task CerDwrDpr_GateShedding_AnsweredSuccessAndNeverAsked()
    {
        var gate = new SwitchGate { Shed = true };
        await using var server = await StartAsync(gate);
        await using var client = await DiameterTestClient.OpenAsync(server.Port); // CER answered 2001 (asserted there)

        var dwa = await client.RequestAsync(Requests.Dwr(11));
        var dpa = await client.RequestAsync(Requests.Dpr(12));

        Assert.Equal(ResultCode.Success, dwa.ResultCode);
        Assert.Equal(ResultCode.Success, dpa.ResultCode);
        Assert.Equal(0, gate.Asked);
    }

    [Fact]
    public async Task Micr_GateStopsShedding_VerdictsAgainOnTheSameConnection()
    {
        var gate = new SwitchGate { Shed = true };
        await using var server = await StartAsync(gate);
        await using var client = await DiameterTestClient.OpenAsync(server.Port);

        var shed = await client.RequestAsync(Requests.Micr(1, TestData.Registered, TestData.BoundImsi));
        gate.Shed = false;
        var served = await client.RequestAsync(Requests.Micr(2, TestData.Registered, TestData.BoundImsi));

        Assert.Equal(ResultCode.TooBusy, shed.ResultCode);
        Assert.Equal(ResultCode.Success, served.ResultCode);
        Assert.Equal(DiameterEquipmentStatus.Whitelisted, served.EquipmentStatus);
        Assert.Equal(2, gate.Asked);
    }

    [Fact]
    public async Task Micr_Malformed_RefusedForItsErrorBeforeTheGateIsAsked()
    {
        var gate = new SwitchGate { Shed = true };
        await using var server = await StartAsync(gate);
        await using var client = await DiameterTestClient.OpenAsync(server.Port);

        var answer = await client.RequestAsync(Requests.Micr(3, "3512345600000X", TestData.BoundImsi));

        Assert.Equal(ResultCode.InvalidAvpValue, answer.ResultCode);
        Assert.Equal(0, gate.Asked);
    }

    private static async Task<DiameterServer> StartAsync(IOverloadGate gate)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var index = new EirIndex();
        index.Load(EirSnapshot.Empty, 0);
        index.Apply(1, TestData.Mutations(), time.GetUtcNow());
        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), time);
        var server = new DiameterServer(Options.Create(TestEir.DefaultOptions()), checker, NullLogger<DiameterServer>.Instance, overloadGate: gate);
        await server.StartAsync(CancellationToken.None);
        return server;
    }

    /// <summary>A gate the test switches; counts how often it was asked, and only ever for S13.</summary>
    private sealed class SwitchGate : IOverloadGate
    {
        private int _asked;

        public volatile bool Shed;

        public int Asked => Volatile.Read(ref _asked);

        public bool ShouldShed(CheckInterface via)
        {
            Assert.Equal(CheckInterface.S13, via);
            Interlocked.Increment(ref _asked);
            return Shed;
        }
    }
}
