using ImeiEir.Core.Identifiers;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>The identifiers of the N5g-eir tests (valid Luhn check digits where a 15-digit form is used).</summary>
public static class Ids
{
    public const string Registered14 = "49015420323751";
    public const string Second14 = "35693803564380";
    public const string Bound14 = "35209900176148";
    public const string Null14 = "00000000000000";
    public const string Stolen14 = "35332206453425";
    public const string Unknown14 = "86753090000001";

    public const string BoundMsisdn = "996700111111";
    public const string BoundImsi = "437010000000001";
    public const string NullBoundMsisdn = "996700222222";
    public const string NullBoundMsisdn2 = "996700333333";

    /// <summary>Maps (subscriber sync) to <see cref="NullBoundMsisdn"/>.</summary>
    public const string MappedImsi = "437050000000009";

    public const string RoamingImsi = "250011234567890";
    public const string HomeImsi = "437010000000077";

    /// <summary>The 15-digit form with its Luhn check digit.</summary>
    public static string Imei15(string imei14) => imei14 + (char)('0' + ImeiParser.LuhnCheckDigit(long.Parse(imei14, System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The registry batch every N5g-eir node starts from.</summary>
    public static Contracts.V1.Delta[] Seed() =>
    [
        D.Register("dev-1", Imei15(Registered14), Second14),
        D.Register("dev-2", Stolen14),
        D.Stolen(Stolen14, "POLICE-42"),
        D.Bind(Bound14, BoundMsisdn, BoundImsi),
        D.Bind(Null14, NullBoundMsisdn),
        D.Bind(Null14, NullBoundMsisdn2),
        D.Subscriber(MappedImsi, NullBoundMsisdn),
    ];
}

/// <summary>One ready node on its own Redis with <see cref="Ids.Seed"/> applied, shared by the tests of a class.</summary>
public sealed class N5gEirNode : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public TestNode Node { get; private set; } = null!;

    public int Port => Node.GrpcPort;

    public RedisServer Redis => _redis;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        Node = await TestNode.StartAsync(_redis.Configuration);
        var ack = await Node.ApplyOneAsync("n5g-seed", Ids.Seed());
        Assert.True(ack.Accepted, ack.Error + string.Join(";", ack.Errors));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
