using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;
using Microsoft.Extensions.Time.Testing;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>Ways to tell that two nodes hold the same data: their contents, and the verdicts they give.</summary>
public static class IndexContents
{
    /// <summary>
    /// Everything the index holds (registered, stolen, bindings, subscribers) in the checkpoint format, which is
    /// canonical (sorted keys): equal bytes, equal contents.
    /// </summary>
    public static string Of(EirIndex index)
    {
        var view = index.Compact();
        using var stream = new MemoryStream();
        SnapshotFormat.Write(stream, view.Snapshot, 0);
        return Convert.ToHexString(stream.ToArray());
    }

    /// <summary>The decisions an index gives for <paramref name="checks"/>, each node asked with grace marks of its own and the same clock.</summary>
    public static IReadOnlyList<(string Check, Decision Decision, long Sequence)> Verdicts(EirIndex index, IEnumerable<(string Imei, string Msisdn, string Imsi)> checks)
    {
        var checker = new EquipmentChecker(index, new InMemoryGraceMarks(), new PolicyOptions(), new FakeTimeProvider(Node.Start));
        return [.. checks.Select(c =>
        {
            var r = checker.Check(c.Imei, c.Msisdn, c.Imsi);
            Assert.True(r.IsValid, r.ErrorMessage);
            return ($"{c.Imei}/{c.Msisdn}/{c.Imsi}", r.Decision, r.Sequence);
        })];
    }
}
