using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;

namespace ImeiEir.Core.Registry;

/// <summary>
/// The device records a batch must read before it can be planned (<see cref="BatchPlanner.ReadsOf"/>): every device id
/// it names, and the owner of every IMEI it registers that the view of <see cref="ViewSequence"/> holds as registered
/// (an IMEI the view does not hold has no owner: both change in the same commit). Empty: the batch plans without the
/// device directory.
/// </summary>
public sealed record BatchReads(string[] DeviceIds, long[] RegisteredImeis, long ViewSequence)
{
    public static readonly BatchReads None = new([], [], 0);

    public bool IsEmpty => DeviceIds.Length == 0 && RegisteredImeis.Length == 0;

    /// <summary>What <paramref name="deltas"/> need read, against <paramref name="view"/>. The one place that knows which deltas touch devices.</summary>
    public static BatchReads Of(IReadOnlyList<RegistryDelta?> deltas, EirView view)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        ArgumentNullException.ThrowIfNull(view);
        HashSet<string>? ids = null;
        HashSet<long>? imeis = null;
        foreach (var d in deltas)
        {
            switch (d)
            {
                case RegisterDeviceDelta r:
                    if (!string.IsNullOrEmpty(r.DeviceId))
                    {
                        (ids ??= new HashSet<string>(StringComparer.Ordinal)).Add(r.DeviceId);
                    }

                    foreach (var text in r.Imeis ?? [])
                    {
                        if (ImeiParser.TryParse(text, out var p) == ParseStatus.Ok && view.IsRegistered(p.Key.Value))
                        {
                            (imeis ??= []).Add(p.Key.Value);
                        }
                    }

                    break;
                case UnregisterDeviceDelta { DeviceId.Length: > 0 } u:
                    (ids ??= new HashSet<string>(StringComparer.Ordinal)).Add(u.DeviceId);
                    break;
                default:
                    break;
            }
        }

        return ids is null && imeis is null ? None with { ViewSequence = view.Sequence } : new([.. ids ?? []], [.. imeis ?? []], view.Sequence);
    }
}
