using System.Diagnostics.Metrics;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>The identifiers of the verdict cases (docs/domain.md), and what the index holds for them.</summary>
internal static class TestData
{
    public const string Registered = "35123456000001";
    public const string Stolen = "35123456000002";
    public const string Bound = "35123456000003";
    public const string Unregistered = "35123456000009";

    /// <summary>The IMSI <see cref="Bound"/> is bound to.</summary>
    public const string BoundImsi = "437011234567890";

    /// <summary>A home subscriber the bound IMEI was never seen with: starts its number-switch grace.</summary>
    public const string OtherHomeImsi = "437059876543210";

    /// <summary>A foreign SIM (MCC 250): roaming is exempt.</summary>
    public const string RoamingImsi = "250011234567890";

    public static long Key(string imei) => long.Parse(imei, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The 15-digit form with its Luhn check digit.</summary>
    public static string WithCheckDigit(string imei14) => imei14 + (char)('0' + ImeiParser.LuhnCheckDigit(Key(imei14)));

    public static Mutation[] Mutations()
    {
        ImsiParser.TryParse(BoundImsi, out var boundImsi);
        return
        [
            Mutation.Register(Key(Registered)),
            Mutation.Register(Key(Stolen)),
            Mutation.Stolen(Key(Stolen)),
            Mutation.Bind(Key(Bound), 996700000001, boundImsi.Key),
        ];
    }
}

/// <summary>A Diameter server on a loopback port over an index built with ImeiEir.Core.</summary>
internal sealed class TestEir : IAsyncDisposable
{
    private TestEir(DiameterServer server, EquipmentChecker checker, EirIndex index, FakeTimeProvider time)
    {
        Server = server;
        Checker = checker;
        Index = index;
        Time = time;
    }

    public DiameterServer Server { get; }

    public EquipmentChecker Checker { get; }

    public EirIndex Index { get; }

    public FakeTimeProvider Time { get; }

    public int Port => Server.Port;

    public int TlsPort => Server.TlsPort;

    /// <summary>Our Origin-Host.</summary>
    public const string OriginHost = "eir1." + Requests.EirRealm;

    public static DiameterOptions DefaultOptions() => new()
    {
        Listen = "127.0.0.1:0",
        OriginHost = OriginHost,
        OriginRealm = Requests.EirRealm,
        AllowedPeers = [Requests.PeerHost],
    };

    public static async Task<TestEir> StartAsync(
        Action<DiameterOptions>? configure = null,
        UnknownEquipmentMode unknownEquipment = UnknownEquipmentMode.Blacklisted,
        bool loaded = true,
        ILogger<DiameterServer>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var index = new EirIndex();
        if (loaded)
        {
            index.Load(EirSnapshot.Empty, 0);
            index.Apply(1, TestData.Mutations(), time.GetUtcNow());
        }

        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions { UnknownEquipment = unknownEquipment }, time);
        var options = DefaultOptions();
        configure?.Invoke(options);
        var server = new DiameterServer(Options.Create(options), checker, logger ?? NullLogger<DiameterServer>.Instance, meterFactory);
        await server.StartAsync(CancellationToken.None);
        return new TestEir(server, checker, index, time);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
