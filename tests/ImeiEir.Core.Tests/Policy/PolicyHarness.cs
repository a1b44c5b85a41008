using System.Collections.Concurrent;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Core.Tests.Policy;

/// <summary>Records the bindings the amnesty window asks for.</summary>
internal sealed class RecordingSink : IAutoWhitelistSink
{
    public ConcurrentQueue<(long Imei, long Msisdn, long ImsiKey)> Bound { get; } = new();

    public void Bind(long imei, long msisdn, long imsiKey) => Bound.Enqueue((imei, msisdn, imsiKey));
}

/// <summary>
/// One checker over an index built from mutations, with a fake clock, in-memory grace marks and a recording
/// amnesty sink; every test gets its own.
/// </summary>
internal sealed class PolicyHarness
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public PolicyHarness(EirIndex? index = null)
    {
        if (index is null)
        {
            index = new EirIndex();
            index.Load(EirSnapshot.Empty, 0);
        }

        Index = index;
        Checker = new EquipmentChecker(Index, Marks, Options, Time, Sink);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public InMemoryGraceMarks Marks { get; } = new();

    public RecordingSink Sink { get; } = new();

    public PolicyOptions Options { get; } = new();

    public EirIndex Index { get; }

    public EquipmentChecker Checker { get; }

    public EirView Apply(params Mutation[] mutations) => Index.Apply(Index.Current.Sequence + 1, mutations, Time.GetUtcNow());

    public CheckResult Check(string imei, string msisdn = "", string imsi = "") => Checker.Check(imei, msisdn, imsi);

    /// <summary>Checks and returns the decision, failing if the input was refused.</summary>
    public Decision Decide(string imei, string msisdn = "", string imsi = "")
    {
        var result = Check(imei, msisdn, imsi);
        Assert.True(result.IsValid, result.ErrorMessage);
        return result.Decision;
    }

    public static string Imei(long key) => new ImeiKey(key).ToString();
}
