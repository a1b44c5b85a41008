using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests;

/// <summary>Bad input on every field of every delta: the batch is refused naming the field, nothing is applied.</summary>
public sealed class BadInputTests : NodeTest
{
    public static TheoryData<string, Delta, string> Cases => new()
    {
        { "device id empty", D.Register("", "35693803564380"), "register_device.device_id" },
        { "device id too long", D.Register(new string('x', 129), "35693803564380"), "register_device.device_id" },
        { "no imeis", D.Register("dev-1"), "register_device.imeis" },
        { "imei letters", D.Register("dev-1", "3569380356438a"), "register_device.imeis[0]" },
        { "imeisv in registry", D.Register("dev-1", "35693803564380", "3569380356438012"), "register_device.imeis[1]" },
        { "imei repeated", D.Register("dev-1", "35693803564380", "356938035643809"), "register_device.imeis[1]" },
        { "unregister empty", D.Unregister(""), "unregister_device.device_id" },
        { "bind imei", D.Bind("", "996700111111"), "bind.imei" },
        { "bind msisdn", D.Bind("35209900176148", ""), "bind.msisdn" },
        { "bind msisdn short", D.Bind("35209900176148", "99670011"), "bind.msisdn" },
        { "bind imsi", D.Bind("35209900176148", "996700111111", "43701"), "" },
        { "bind imsi long", D.Bind("35209900176148", "996700111111", "4370100000000001"), "bind.imsi" },
        { "unbind imei", D.Unbind("x", "996700111111"), "unbind.imei" },
        { "unbind msisdn", D.Unbind("35209900176148", "+12"), "unbind.msisdn" },
        { "unbind imsi", D.Unbind("35209900176148", "996700111111", "imsi-"), "unbind.imsi" },
        { "stolen imei", D.Stolen("mac-00-11-22-33-44-55"), "report_stolen.imei" },
        { "stolen case", D.Stolen("35209900176148", " "), "report_stolen.case_reference" },
        { "clear imei", D.ClearStolen("123"), "clear_stolen.imei" },
        { "subscriber imsi", D.Subscriber("437", "996700111111"), "upsert_subscriber.imsi" },
        { "subscriber msisdn", D.Subscriber("437010000000001", "0996700111111"), "upsert_subscriber.msisdn" },
        { "remove subscriber imsi", D.RemoveSubscriber("abc"), "remove_subscriber.imsi" },
        { "switch previous", D.Switch("", "996700555555", "35209900176148"), "switch_number.previous_msisdn" },
        { "switch new", D.Switch("996700111111", "5", "35209900176148"), "switch_number.new_msisdn" },
        { "switch same", D.Switch("996700111111", "700111111", "35209900176148"), "switch_number.new_msisdn" },
        { "switch imei", D.Switch("996700111111", "996700555555", "35-20"), "switch_number.imei" },
        { "empty delta", new Delta(), "delta is empty" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Apply_BadField_RefusedNamingFieldNothingApplied(string name, Delta bad, string field)
    {
        var ack = await Node.ApplyOneAsync("bad-" + name.Replace(' ', '-'), D.Register("ok-dev", "35401011000001"), bad);

        if (field.Length == 0)
        {
            // A 5-digit IMSI is valid (TS 29.571 allows 5 to 15 digits).
            Assert.True(ack.Accepted, string.Join("; ", ack.Errors));
            return;
        }

        Assert.False(ack.Accepted);
        var error = Assert.Single(ack.Errors);
        Assert.Equal(1u, error.Index);
        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
        var state = await Node.SyncStateAsync();
        Assert.Equal(0UL, state.Sequence);
        Assert.Equal(0UL, state.RegisteredImeis);
    }
}
