using ImeiEir.Server.Overload;

namespace ImeiEir.Server.Tests.Overload;

public sealed class OverloadOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        var o = new OverloadOptions();

        o.Validate();

        Assert.True(o.Enabled);
        Assert.Equal(OverloadOptions.DefaultConcurrentChecksPerCore * Environment.ProcessorCount, o.EffectiveMaxConcurrentChecks);
    }

    public static TheoryData<string, Action<OverloadOptions>> Wrong => new()
    {
        { "Overload:MaxQueueDelay", o => o.MaxQueueDelay = TimeSpan.Zero },
        { "Overload:MaxQueueDelay", o => o.MaxQueueDelay = TimeSpan.FromSeconds(11) },
        { "Overload:BurstTolerance", o => o.BurstTolerance = TimeSpan.FromMilliseconds(4) },
        { "Overload:BurstTolerance", o => o.BurstTolerance = TimeSpan.FromMinutes(2) },
        { "Overload:MaxConcurrentChecks", o => o.MaxConcurrentChecks = -1 },
        { "Overload:SyncStreamsPerClient", o => o.SyncStreamsPerClient = 0 },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public void Validate_OutOfRange_ThrowsNamingTheSetting(string setting, Action<OverloadOptions> change)
    {
        var o = new OverloadOptions();
        change(o);

        var ex = Assert.Throws<ArgumentException>(o.Validate);

        Assert.StartsWith(setting, ex.Message, StringComparison.Ordinal);
    }
}
