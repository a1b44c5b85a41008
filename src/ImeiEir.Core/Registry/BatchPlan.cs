using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Registry;

/// <summary>Whether a delta was refused for its content or for the state it met.</summary>
public enum DeltaErrorKind
{
    /// <summary>Malformed: a field is missing or not in a valid form (INVALID_ARGUMENT where a status is used).</summary>
    Invalid,
    /// <summary>Well-formed, but the current data refuses it: unknown device, no such binding… (FAILED_PRECONDITION).</summary>
    Conflict,
}

/// <summary>A rejected delta: its index in the batch and what is wrong, naming the field.</summary>
public readonly record struct DeltaError(int Index, string Message, DeltaErrorKind Kind = DeltaErrorKind.Invalid);

/// <summary>A registered device as stored: its id and its IMEI keys.</summary>
public sealed record DeviceRecord(string DeviceId, long[] Imeis);

/// <summary>
/// What a valid batch does: the index mutations (what the log stores), their effect on the view the batch was planned
/// on (what the writer stages), plus the records kept beside the index (devices, stolen case references, grace marks a
/// switch consumed). Empty <see cref="Errors"/> means the batch is valid.
/// </summary>
public sealed class BatchPlan
{
    private IndexEffect? _effect;

    public BatchPlan(int expectedDeltas = 0)
        : this(expectedDeltas, 0, 0)
    {
    }

    /// <summary>
    /// A plan sized for <paramref name="expectedMutations"/> mutations and the device changes of
    /// <paramref name="expectedDevices"/> devices with <paramref name="expectedImeis"/> IMEIs: on a large batch its
    /// lists and dictionaries are not regrown (each growth copies them, and a 10 000-delta batch's are large objects).
    /// </summary>
    public BatchPlan(int expectedMutations, int expectedDevices, int expectedImeis)
    {
        Mutations = new List<Mutation>(expectedMutations);
        DeviceChanges = new Dictionary<string, long[]?>(expectedDevices, StringComparer.Ordinal);
        OwnerChanges = new Dictionary<long, string?>(expectedImeis);
        DevicesAdded = new List<DeviceRecord>(expectedDevices);
    }

    /// <summary>The index mutations, in order: what the log stores and followers apply.</summary>
    public List<Mutation> Mutations { get; }

    /// <summary>
    /// The <see cref="Mutations"/>' effect on the view the batch was planned on, worked out while planning (the planner
    /// validated each delta against it): what the writer stages (<see cref="EirIndex.Stage(long, IndexEffect, DateTimeOffset)"/>).
    /// A plan with errors has the effect of nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The plan was not finished by a planner.</exception>
    public IndexEffect Effect
    {
        get => _effect ?? throw new InvalidOperationException("The plan is not finished: it has no effect yet.");
        internal set => _effect = value;
    }

    public List<DeltaError> Errors { get; } = [];

    /// <summary>Devices registered by the batch.</summary>
    public List<DeviceRecord> DevicesAdded { get; }

    /// <summary>Devices removed by the batch (with the IMEIs they had).</summary>
    public List<DeviceRecord> DevicesRemoved { get; } = [];

    /// <summary>IMEI → case reference for new reports; null value for a cleared report.</summary>
    public List<(long Imei, string? CaseReference)> StolenCases { get; } = [];

    /// <summary>Grace marks made obsolete by a switch.</summary>
    public List<(long Imei, SubscriberKey Subscriber)> GraceMarksConsumed { get; } = [];

    /// <summary>IMEIs a switch moved, in order.</summary>
    public List<long> SwitchedImeis { get; } = [];

    /// <summary>The batch's net effect on the device directory: device id → its IMEIs now (null: unregistered).</summary>
    public Dictionary<string, long[]?> DeviceChanges { get; }

    /// <summary>The batch's net effect on IMEI owners: IMEI → its device now (null: none).</summary>
    public Dictionary<long, string?> OwnerChanges { get; }

    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// Empties the plan's device changes (<see cref="DeviceChanges"/>, <see cref="OwnerChanges"/>,
    /// <see cref="DevicesAdded"/>, <see cref="DevicesRemoved"/>) once they are in the directory: nothing reads them
    /// after that. A large batch's collections are large objects, collected only by a full collection; until then their
    /// slots would keep the ids and IMEI arrays they point to alive through the young generations' collections (which
    /// take those slots as roots).
    /// </summary>
    public void ReleaseDeviceChanges()
    {
        DeviceChanges.Clear();
        OwnerChanges.Clear();
        DevicesAdded.Clear();
        DevicesRemoved.Clear();
    }
}

/// <summary>Where the planner learns which IMEIs a device id has and which device an IMEI belongs to.</summary>
public interface IDeviceDirectory
{
    bool TryGetDevice(string deviceId, out long[] imeis);

    bool TryGetDeviceOf(long imei, out string deviceId);
}

/// <summary>A device directory held in dictionaries (tests; the node's is <see cref="DeviceDirectory"/>).</summary>
public sealed class InMemoryDeviceDirectory : IDeviceDirectory
{
    private readonly Dictionary<string, long[]> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _owners = [];

    public int Count => _devices.Count;

    public void Add(string deviceId, long[] imeis)
    {
        _devices[deviceId] = imeis;
        foreach (var i in imeis)
        {
            _owners[i] = deviceId;
        }
    }

    public void Remove(string deviceId)
    {
        if (_devices.Remove(deviceId, out var imeis))
        {
            foreach (var i in imeis)
            {
                _owners.Remove(i);
            }
        }
    }

    /// <summary>Applies a valid plan's device changes.</summary>
    public void Apply(BatchPlan plan)
    {
        foreach (var d in plan.DevicesRemoved)
        {
            Remove(d.DeviceId);
        }

        foreach (var d in plan.DevicesAdded)
        {
            Add(d.DeviceId, d.Imeis);
        }
    }

    public bool TryGetDevice(string deviceId, out long[] imeis) => _devices.TryGetValue(deviceId, out imeis!);

    public bool TryGetDeviceOf(long imei, out string deviceId) => _owners.TryGetValue(imei, out deviceId!);
}
