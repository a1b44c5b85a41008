using ImeiEir.Core.Index;

namespace ImeiEir.Core.Tests.Index;

/// <summary>An <see cref="IndexEffect"/> in plain collections (keys ascending), to compare and to read in a failure message.</summary>
internal sealed record EffectContent(
    long BasisSequence,
    EirCounts Counts,
    (long Imei, bool Registered)[] Registered,
    (long Imei, bool Stolen)[] Stolen,
    (long Imei, string Records)[] Bindings,
    (long Imsi, long Msisdn)[] Subscribers)
{
    public static EffectContent Of(IndexEffect effect) => new(
        effect.BasisSequence,
        effect.Counts,
        [.. effect.Registered.ToArray().Select(e => (e.Key, e.Value)).OrderBy(e => e.Key)],
        [.. effect.Stolen.ToArray().Select(e => (e.Key, e.Value)).OrderBy(e => e.Key)],
        [.. effect.Bindings.ToArray().Select(e => (e.Key, Records(e.Value))).OrderBy(e => e.Key)],
        [.. effect.Subscribers.ToArray().Select(e => (e.Key, e.Value)).OrderBy(e => e.Key)]);

    public static string Records(BindingList list) => string.Join(" ", list.Records.Select(r => $"{r.Msisdn}/{r.Imsi}"));

    public bool Equals(EffectContent? other)
        => other is not null && BasisSequence == other.BasisSequence && Counts == other.Counts
            && Registered.SequenceEqual(other.Registered) && Stolen.SequenceEqual(other.Stolen)
            && Bindings.SequenceEqual(other.Bindings) && Subscribers.SequenceEqual(other.Subscribers);

    public override int GetHashCode() => HashCode.Combine(BasisSequence, Counts);

    public override string ToString()
        => $"basis {BasisSequence}, {Counts}; registered [{string.Join(", ", Registered)}]; stolen [{string.Join(", ", Stolen)}]; "
            + $"bindings [{string.Join(", ", Bindings)}]; subscribers [{string.Join(", ", Subscribers)}]";
}
