using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Tests.Policy;

public class PolicyOptionsTests
{
    [Fact]
    public void Defaults_Kyrgyzstan_HomeMcc437CountryCode996Grace72Hours()
    {
        var options = new PolicyOptions();

        Assert.Equal(437, options.HomeMcc);
        Assert.Equal(996, options.HomeCountryCode);
        Assert.Equal(TimeSpan.FromHours(72), options.NumberSwitchGrace);
        Assert.Null(options.AutoWhitelist.Start);
        Assert.Null(options.AutoWhitelist.End);
        Assert.Equal(UnknownEquipmentMode.Blacklisted, options.UnknownEquipment);
        options.Validate();
    }

    public static TheoryData<string, Action<PolicyOptions>> Invalid => new()
    {
        { "HomeMcc", o => o.HomeMcc = 0 },
        { "HomeMcc", o => o.HomeMcc = 1000 },
        { "HomeCountryCode", o => o.HomeCountryCode = 0 },
        { "HomeCountryCode", o => o.HomeCountryCode = 9960 },
        { "NumberSwitchGrace", o => o.NumberSwitchGrace = TimeSpan.Zero },
        { "NumberSwitchGrace", o => o.NumberSwitchGrace = TimeSpan.FromHours(-1) },
        { "GraceMarkRetention", o => o.GraceMarkRetention = TimeSpan.FromHours(71) },
        { "AutoWhitelist", o => o.AutoWhitelist.Start = DateTimeOffset.UnixEpoch },
        { "AutoWhitelist", o => o.AutoWhitelist.End = DateTimeOffset.UnixEpoch },
        { "AutoWhitelist", o => o.AutoWhitelist = new() { Start = DateTimeOffset.UnixEpoch, End = DateTimeOffset.UnixEpoch } },
        { "AutoWhitelist", o => o.AutoWhitelist = new() { Start = DateTimeOffset.UnixEpoch.AddDays(1), End = DateTimeOffset.UnixEpoch } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_OutOfRange_ThrowsNamingTheSetting(string setting, Action<PolicyOptions> change)
    {
        var options = new PolicyOptions();
        change(options);

        var e = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Contains("Policy:" + setting, e.Message, StringComparison.Ordinal);
    }
}
