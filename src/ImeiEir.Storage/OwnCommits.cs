using ImeiEir.Core.Registry;

namespace ImeiEir.Storage;

/// <summary>
/// The plans (for their device changes) of this node's latest commits, by sequence. Device records read for a batch
/// ahead of its turn — at store sequence P, with owners chosen by the view of sequence V ≤ P — are brought to the
/// planning view's sequence S ≥ P by replaying, in order, the device changes of every commit in (V, S]: possible when
/// all of them were this node's own, which is the case while one stream syncs. Changes already in the read are
/// replayed again harmlessly (each key ends as its last change left it). Used by the commit pipeline only, under the
/// writer's turn.
/// </summary>
internal sealed class OwnCommits
{
    private readonly Dictionary<long, BatchPlan> _plans = [];

    public void Remember(long sequence, BatchPlan plan)
    {
        _plans[sequence] = plan;
        _plans.Remove(sequence - WriteFlowControl.OwnCommitsKept);
    }

    /// <summary>Forgets the commits after <paramref name="sequence"/> (their staged views were taken back).</summary>
    public void ForgetAfter(long sequence)
    {
        foreach (var seq in _plans.Keys.Where(s => s > sequence).ToList())
        {
            _plans.Remove(seq);
        }
    }

    /// <summary>The early read brought to <paramref name="sequence"/>, or false when a commit in between was not this node's (or the read was not exact).</summary>
    public bool TryBringForward(PrefetchedDevices early, long sequence, out IDeviceDirectory directory)
    {
        directory = early.Directory;
        if (early.Sequence < early.ViewSequence || early.Sequence > sequence)
        {
            return false;
        }

        for (var seq = early.ViewSequence + 1; seq <= sequence; seq++)
        {
            if (!_plans.ContainsKey(seq))
            {
                return false;
            }
        }

        for (var seq = early.ViewSequence + 1; seq <= sequence; seq++)
        {
            early.Directory.Apply(_plans[seq]);
        }

        return true;
    }
}
