using ImeiEir.Core.Policy;
using ImeiEir.Diameter.Codec;
using ImeiEir.Diameter.Tests.Support;

namespace ImeiEir.Diameter.Tests.Server;

/// <summary>
/// ME-Identity-Check over real loopback TCP: the verdict cases of docs/domain.md and the S13 error answers.
/// </summary>
public class MeIdentityCheckTests
{
    public static TheoryData<string, string?, DiameterEquipmentStatus> VerdictCases => new()
    {
        // IMEI, User-Name (IMSI), Equipment-Status
        { TestData.Registered, TestData.BoundImsi, DiameterEquipmentStatus.Whitelisted },
        { TestData.Registered, null, DiameterEquipmentStatus.Whitelisted },
        { TestData.WithCheckDigit(TestData.Registered), TestData.OtherHomeImsi, DiameterEquipmentStatus.Whitelisted },
        { TestData.Unregistered, TestData.OtherHomeImsi, DiameterEquipmentStatus.Blacklisted },
        { TestData.Unregistered, null, DiameterEquipmentStatus.Blacklisted },
        { TestData.Stolen, TestData.BoundImsi, DiameterEquipmentStatus.Blacklisted },
        { TestData.Stolen, TestData.RoamingImsi, DiameterEquipmentStatus.Blacklisted },
        { TestData.Unregistered, TestData.RoamingImsi, DiameterEquipmentStatus.Whitelisted },
        { TestData.Bound, TestData.BoundImsi, DiameterEquipmentStatus.Whitelisted },
        { TestData.Bound, TestData.OtherHomeImsi, DiameterEquipmentStatus.Greylisted },
        { TestData.Bound, null, DiameterEquipmentStatus.Blacklisted },
    };

    [Theory]
    [MemberData(nameof(VerdictCases))]
    public async Task Micr_VerdictCase_AnswersSuccessWithEquipmentStatus(string imei, string? imsi, DiameterEquipmentStatus expected)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(42, imei, imsi));

        Assert.Equal(ResultCode.Success, answer.ResultCode);
        Assert.Equal(expected, answer.EquipmentStatus);
    }

    [Fact]
    public async Task Micr_Success_EchoesIdsSessionAndCarriesTheMandatoryAvps()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var request = Requests.Micr(0xCAFE, TestData.Registered, TestData.BoundImsi, sessionId: "mme1;1711;42;x");
        var answer = await client.RequestAsync(request);

        Assert.False(answer.Header.IsRequest);
        Assert.False(answer.Header.IsError);
        Assert.True(answer.Header.IsProxiable);
        Assert.Equal(CommandCode.MeIdentityCheck, answer.Header.CommandCode);
        Assert.Equal(DiameterApplication.S13, answer.Header.ApplicationId);
        Assert.Equal(0xCAFEu, answer.Header.HopByHopId);
        Assert.Equal(0xCAFEu ^ 0x5A5A0000, answer.Header.EndToEndId);
        Assert.Equal(AvpCode.SessionId, answer.Avps[0].Code); // Session-Id first (RFC 6733 §8.8)
        Assert.Equal("mme1;1711;42;x", answer.SessionId);
        Assert.Equal(1u, answer.Find(AvpCode.AuthSessionState)!.UInt32);
        Assert.Equal("eir1." + Requests.EirRealm, answer.Find(AvpCode.OriginHost)!.Text);
        Assert.Equal(Requests.EirRealm, answer.Find(AvpCode.OriginRealm)!.Text);
        var status = answer.Find(AvpCode.EquipmentStatus, VendorId.ThreeGpp)!;
        Assert.Equal(AvpFlags.Vendor | AvpFlags.Mandatory, status.Flags);
        Assert.Null(answer.Find(AvpCode.ExperimentalResult));
    }

    [Fact]
    public async Task Micr_WithoutVendorSpecificApplicationIdOrSoftwareVersion_IsServed()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(1, TestData.Registered, vendorSpecificApplicationId: false, softwareVersion: null));

        Assert.Equal(ResultCode.Success, answer.ResultCode);
        Assert.Equal(DiameterEquipmentStatus.Whitelisted, answer.EquipmentStatus);
    }

    [Fact]
    public async Task Micr_GraceRunsOut_TurnsFromGreylistedToBlacklisted()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var first = await client.RequestAsync(Requests.Micr(1, TestData.Bound, TestData.OtherHomeImsi));
        eir.Time.Advance(TimeSpan.FromHours(71));
        var within = await client.RequestAsync(Requests.Micr(2, TestData.Bound, TestData.OtherHomeImsi));
        eir.Time.Advance(TimeSpan.FromHours(2));
        var after = await client.RequestAsync(Requests.Micr(3, TestData.Bound, TestData.OtherHomeImsi));

        Assert.Equal(DiameterEquipmentStatus.Greylisted, first.EquipmentStatus);
        Assert.Equal(DiameterEquipmentStatus.Greylisted, within.EquipmentStatus);
        Assert.Equal(DiameterEquipmentStatus.Blacklisted, after.EquipmentStatus);
    }

    [Fact]
    public async Task Micr_UnknownModeAndUnregisteredImei_AnswersExperimentalResult5422WithoutStatus()
    {
        await using var eir = await TestEir.StartAsync(unknownEquipment: UnknownEquipmentMode.Unknown);
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(7, TestData.Unregistered, TestData.OtherHomeImsi));

        Assert.Null(answer.ResultCode);
        var experimental = answer.Find(AvpCode.ExperimentalResult)!;
        Assert.Equal(VendorId.ThreeGpp, experimental.Find(AvpCode.VendorId)!.UInt32);
        Assert.Equal(ResultCode.EquipmentUnknown, answer.ExperimentalResultCode);
        Assert.Null(answer.EquipmentStatus);
        Assert.False(answer.Header.IsError);
        Assert.NotNull(answer.SessionId);
    }

    [Theory]
    [InlineData(TestData.Stolen, DiameterEquipmentStatus.Blacklisted)]
    [InlineData(TestData.Registered, DiameterEquipmentStatus.Whitelisted)]
    public async Task Micr_UnknownModeAndKnownImei_StillAnswersAVerdict(string imei, DiameterEquipmentStatus expected)
    {
        await using var eir = await TestEir.StartAsync(unknownEquipment: UnknownEquipmentMode.Unknown);
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(7, imei, TestData.OtherHomeImsi));

        Assert.Equal(ResultCode.Success, answer.ResultCode);
        Assert.Equal(expected, answer.EquipmentStatus);
    }

    [Fact]
    public async Task Micr_IndexNotLoaded_Answers3004WithoutAVerdict()
    {
        await using var eir = await TestEir.StartAsync(loaded: false);
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(9, TestData.Registered, TestData.BoundImsi));

        Assert.Equal(ResultCode.TooBusy, answer.ResultCode);
        Assert.True(answer.Header.IsError);
        Assert.Null(answer.EquipmentStatus);
        Assert.Equal(9u, answer.Header.HopByHopId);

        // Once loaded, the same connection gets verdicts.
        eir.Index.Load(Core.Index.EirSnapshot.Empty, 0);
        var later = await client.RequestAsync(Requests.Micr(10, TestData.Registered, TestData.BoundImsi));
        Assert.Equal(ResultCode.Success, later.ResultCode);
        Assert.Equal(DiameterEquipmentStatus.Blacklisted, later.EquipmentStatus); // empty snapshot: unregistered
    }

    [Fact]
    public async Task Micr_WithoutTerminalInformation_Answers5005NamingIt()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(3, TestData.Registered, terminalInformation: false));

        Assert.Equal(ResultCode.MissingAvp, answer.ResultCode);
        Assert.False(answer.Header.IsError); // 5xxx: no E bit
        var missing = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.TerminalInformation, missing.Code);
        Assert.Equal(VendorId.ThreeGpp, missing.Vendor);
        Assert.Null(answer.EquipmentStatus);
        Assert.NotNull(answer.SessionId);
    }

    [Fact]
    public async Task Micr_TerminalInformationWithoutImei_Answers5005NamingImeiInsideIt()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(3, imei: null));

        Assert.Equal(ResultCode.MissingAvp, answer.ResultCode);
        var terminal = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.TerminalInformation, terminal.Code);
        var imei = Assert.Single(terminal.Children);
        Assert.Equal(AvpCode.Imei, imei.Code);
        Assert.Equal(VendorId.ThreeGpp, imei.Vendor);
        Assert.Empty(imei.Data);
    }

    [Fact]
    public async Task Micr_WithoutSessionId_Answers5005NamingIt()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(3, TestData.Registered, sessionId: null));

        Assert.Equal(ResultCode.MissingAvp, answer.ResultCode);
        Assert.Equal(AvpCode.SessionId, Assert.Single(answer.FailedAvp!.Children).Code);
    }

    [Theory]
    [InlineData("3512345600000")] // 13 digits
    [InlineData("3512345600000123")] // 16 digits (IMEISV belongs in Software-Version, not here)
    [InlineData("35123456A00001")]
    [InlineData("")]
    [InlineData("imei-351234560000011")]
    public async Task Micr_MalformedImei_Answers5004QuotingIt(string imei)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(5, imei, TestData.BoundImsi));

        Assert.Equal(ResultCode.InvalidAvpValue, answer.ResultCode);
        var terminal = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.TerminalInformation, terminal.Code);
        var quoted = Assert.Single(terminal.Children);
        Assert.Equal(AvpCode.Imei, quoted.Code);
        Assert.Equal(imei, quoted.Text);
        Assert.Null(answer.EquipmentStatus);
    }

    [Theory]
    [InlineData("4370")] // too short
    [InlineData("4370112345678901")] // 16 digits
    [InlineData("43701abc")]
    [InlineData("")]
    public async Task Micr_MalformedImsi_Answers5004QuotingUserName(string imsi)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(5, TestData.Registered, imsi));

        Assert.Equal(ResultCode.InvalidAvpValue, answer.ResultCode);
        var quoted = Assert.Single(answer.FailedAvp!.Children);
        Assert.Equal(AvpCode.UserName, quoted.Code);
        Assert.Equal(imsi, quoted.Text);
    }

    [Fact]
    public async Task Micr_OtherApplication_Answers3007WithTheEBit()
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(11, TestData.Registered, applicationId: 16777251));

        Assert.Equal(ResultCode.ApplicationUnsupported, answer.ResultCode);
        Assert.True(answer.Header.IsError);
        Assert.Equal(16777251u, answer.Header.ApplicationId);
        Assert.Equal(11u, answer.Header.HopByHopId);
        Assert.Null(answer.EquipmentStatus);
    }

    [Theory]
    [InlineData(DiameterApplication.S13, 316)] // ULR is S6a's, not S13's
    [InlineData(DiameterApplication.Common, 999)]
    public async Task Request_UnknownCommand_Answers3001(uint application, int command)
    {
        await using var eir = await TestEir.StartAsync();
        await using var client = await DiameterTestClient.OpenAsync(eir.Port);

        var answer = await client.RequestAsync(Requests.Micr(12, TestData.Registered, applicationId: application, commandCode: command));

        Assert.Equal(ResultCode.CommandUnsupported, answer.ResultCode);
        Assert.True(answer.Header.IsError);
        Assert.Equal(command, answer.Header.CommandCode);
    }
}
