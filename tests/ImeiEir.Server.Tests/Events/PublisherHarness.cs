using System.Diagnostics.Metrics;
using ImeiEir.Core.Events;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Server.Events;
using ImeiEir.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ImeiEir.Server.Tests.Events;

/// <summary>The publisher and the warning sweeper on a real Redis, with a fake clock and an index the test fills.</summary>
internal sealed class PublisherHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly RedisStore _store;
    private readonly ServiceProvider _services;

    private PublisherHarness(RedisStore store, EventsOptions options)
    {
        _store = store;
        Options = options;
        Index.Load(EirSnapshot.Empty, 0);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var windows = new EventWindows(options.Retention, options.NotRegisteredEvery, options.StolenSeenEvery, TimeSpan.FromDays(1));
        var queue = new EventQueue(16);
        var metrics = new EventsMetrics(_services.GetRequiredService<IMeterFactory>(), queue);
        var factory = new EventFactory(new HomeOperators(HomeOperators.DefaultThreeDigitMncCountries), "t");
        Store = new EventStore(new EventsRedis(store.Connection, new RedisOptions()));
        Publisher = new EventPublisher(queue, Store, factory, Index, windows, options, metrics, Time, NullLogger<EventPublisher>.Instance);
        Sweeper = new GraceWarningSweeper(Store, Index, factory, windows, options, metrics, Time, NullLogger<GraceWarningSweeper>.Instance);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public EirIndex Index { get; } = new();

    public EventsOptions Options { get; }

    public EventStore Store { get; }

    public EventPublisher Publisher { get; }

    public GraceWarningSweeper Sweeper { get; }

    public IDatabase Db => _store.Subscriber.Multiplexer.GetDatabase();

    public static async Task<PublisherHarness> StartAsync(string redis, EventsOptions? options = null)
    {
        var store = new RedisStore(new RedisOptions { Configuration = redis });
        await store.ConnectAsync();
        return new PublisherHarness(store, options ?? new EventsOptions());
    }

    public long Now => Time.GetUtcNow().UtcTicks;

    public void Apply(params Mutation[] mutations) => Index.Apply(Index.Current.Sequence + 1, mutations, Time.GetUtcNow());

    /// <summary>Every event in the stream of all events, oldest first.</summary>
    public async Task<List<EventRecord>> AllEventsAsync()
        => [.. (await Db.StreamRangeAsync("eir:ev:all")).Select(EventRecord.FromEntry).OfType<EventRecord>()];

    /// <summary>Scripts Redis ran so far (EVAL and EVALSHA calls, from INFO commandstats).</summary>
    public async Task<long> ScriptCallsAsync()
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Db.Multiplexer.Configuration + ",allowAdmin=true");
        var info = await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("commandstats");
        long calls = 0;
        foreach (var pair in info.SelectMany(g => g).Where(p => p.Key is "cmdstat_eval" or "cmdstat_evalsha"))
        {
            var start = pair.Value.IndexOf("calls=", StringComparison.Ordinal) + "calls=".Length;
            calls += long.Parse(pair.Value[start..pair.Value.IndexOf(',', start)], System.Globalization.CultureInfo.InvariantCulture);
        }

        return calls;
    }

    public static long Imsi(string text) => ImsiParser.TryParse(text, out var i) == ParseStatus.Ok ? i.Key : throw new ArgumentException(text);

    public static long Msisdn(string text) => MsisdnParser.TryParse(text, 996, out var m) == ParseStatus.Ok ? m.Value : throw new ArgumentException(text);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _store.DisposeAsync();
    }
}
