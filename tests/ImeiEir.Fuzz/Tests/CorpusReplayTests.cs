using System.Runtime.CompilerServices;

namespace ImeiEir.Fuzz.Tests;

/// <summary>
/// Every committed seed, and every crash input kept as a regression seed, goes through its fuzz target in-process:
/// the invariants the fuzzer checks hold on the corpus at every commit, without AFL.
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets() => [.. Program.Targets.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Replay_CommittedCorpus_NoInputFails(string target)
    {
        var folder = Corpus(target);
        var files = Directory.GetFiles(folder);
        Assert.NotEmpty(files);

        var run = Program.Targets[target];
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            var ex = Record.Exception(() => run(bytes));
            Assert.True(ex is null, $"{target}: {Path.GetFileName(file)} failed: {ex}");
        }
    }

    [Fact]
    public void Targets_EachHasItsCorpusOrSharesTheIdentifiers()
    {
        foreach (var target in Program.Targets.Keys)
        {
            Assert.True(Directory.Exists(Corpus(target)), target);
        }
    }

    /// <summary>corpus/&lt;target&gt;; imei, imsi and msisdn share the identifiers seeds (as fuzz.sh does).</summary>
    private static string Corpus(string target, [CallerFilePath] string here = "")
    {
        var root = Path.Combine(Path.GetDirectoryName(here)!, "..", "corpus");
        var folder = Path.Combine(root, target);
        return Directory.Exists(folder) ? folder : Path.Combine(root, "identifiers");
    }
}
