using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Registry;

/// <summary>
/// Validates a batch of registry deltas against one index view and the device directory, and works out what it
/// does. All-or-nothing: every bad delta is listed (with its index and the field at fault) and a plan with errors
/// must not be applied. Deltas see the effect of earlier deltas of the same batch.
/// </summary>
public sealed class BatchPlanner
{
    /// <summary>Longest accepted device id, case reference or batch id.</summary>
    public const int MaxIdLength = 128;

    private readonly PolicyOptions _options;

    public BatchPlanner(PolicyOptions options) => _options = options;

    /// <summary>Plans a registry batch (in a batch a switch must name its IMEI).</summary>
    public BatchPlan Plan(IReadOnlyList<RegistryDelta> deltas, EirView view, IDeviceDirectory devices)
        => PlanCore(deltas, view, devices, marks: null, nowTicks: 0);

    /// <summary>
    /// Plans a self-service NUMBER SWITCH. Without an IMEI it takes every IMEI bound to the previous number that
    /// was checked with the new one (grace marks kept for <see cref="PolicyOptions.GraceMarkRetention"/>).
    /// </summary>
    public BatchPlan PlanSwitch(SwitchNumberDelta delta, EirView view, IGraceMarks marks, long nowTicks)
        => PlanCore([delta], view, new InMemoryDeviceDirectory(), marks, nowTicks);

    /// <summary>
    /// <see cref="Plan"/> in slices of <paramref name="sliceDeltas"/> deltas, giving the thread back between slices
    /// (<see cref="Task.Yield"/>: work queued meanwhile, such as checks, runs first). The same plan; the view and the
    /// directory must not change until it is done (the caller holds the writer's turn).
    /// </summary>
    public async Task<BatchPlan> PlanInSlicesAsync(IReadOnlyList<RegistryDelta> deltas, EirView view, IDeviceDirectory devices, int sliceDeltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        ArgumentOutOfRangeException.ThrowIfLessThan(sliceDeltas, 1);
        var shape = BatchShape.Of(deltas);
        var plan = shape.NewPlan();
        var state = new Scratch(view, devices, plan, shape);
        for (var from = 0; from < deltas.Count; from += sliceDeltas)
        {
            if (from > 0)
            {
                await Task.Yield();
            }

            PlanRange(deltas, from, Math.Min(deltas.Count, from + sliceDeltas), state, plan, marks: null, nowTicks: 0);
        }

        return Finish(plan, state);
    }

    private BatchPlan PlanCore(IReadOnlyList<RegistryDelta> deltas, EirView view, IDeviceDirectory devices, IGraceMarks? marks, long nowTicks)
    {
        var shape = BatchShape.Of(deltas);
        var plan = shape.NewPlan();
        var state = new Scratch(view, devices, plan, shape);
        PlanRange(deltas, 0, deltas.Count, state, plan, marks, nowTicks);
        return Finish(plan, state);
    }

    private void PlanRange(IReadOnlyList<RegistryDelta> deltas, int from, int to, Scratch state, BatchPlan plan, IGraceMarks? marks, long nowTicks)
    {
        for (var i = from; i < to; i++)
        {
            var error = deltas[i] switch
            {
                RegisterDeviceDelta d => Register(d, state, plan),
                UnregisterDeviceDelta d => Unregister(d, state, plan),
                BindDelta d => Bind(d, state, plan),
                UnbindDelta d => Unbind(d, state, plan),
                ReportStolenDelta d => ReportStolen(d, state, plan),
                ClearStolenDelta d => ClearStolen(d, state, plan),
                UpsertSubscriberDelta d => UpsertSubscriber(d, state, plan),
                RemoveSubscriberDelta d => RemoveSubscriber(d, state, plan),
                SwitchNumberDelta d => Switch(d, state, plan, marks, nowTicks),
                null => (Failure)"delta is empty: set one of its changes",
                _ => (Failure)"delta kind is not supported",
            };
            if (error is { } e)
            {
                plan.Errors.Add(new DeltaError(i, e.Message, e.Kind));
            }
        }
    }

    // All or nothing: a plan with errors keeps only them (and the effect of nothing).
    private static BatchPlan Finish(BatchPlan plan, Scratch state)
    {
        plan.Effect = state.BuildEffect(plan.IsValid);
        if (!plan.IsValid)
        {
            plan.Mutations.Clear();
            plan.DevicesAdded.Clear();
            plan.DevicesRemoved.Clear();
            plan.StolenCases.Clear();
            plan.GraceMarksConsumed.Clear();
            plan.SwitchedImeis.Clear();
            plan.DeviceChanges.Clear();
            plan.OwnerChanges.Clear();
        }

        return plan;
    }

    private static Failure? Register(RegisterDeviceDelta d, Scratch s, BatchPlan plan)
    {
        if (CheckId(d.DeviceId, "register_device.device_id") is { } idError)
        {
            return idError;
        }

        if (d.Imeis is null || d.Imeis.Count == 0)
        {
            return "register_device.imeis is empty: a device has at least one IMEI";
        }

        var keys = new long[d.Imeis.Count];
        for (var j = 0; j < keys.Length; j++)
        {
            var status = ImeiParser.TryParseForRegistration(d.Imeis[j], out var key);
            if (status != ParseStatus.Ok)
            {
                return $"register_device.imeis[{j}] {Describe(status)}";
            }

            if (Array.IndexOf(keys, key.Value, 0, j) >= 0)
            {
                return $"register_device.imeis[{j}] repeats an IMEI of the same device";
            }

            keys[j] = key.Value;
        }

        if (s.TryGetDevice(d.DeviceId, out var existing))
        {
            var same = existing.Length == keys.Length && existing.Order().SequenceEqual(keys.Order());
            return same ? (Failure?)null : Failure.Conflict("register_device.device_id is already registered with other IMEIs: unregister it first");
        }

        for (var j = 0; j < keys.Length; j++)
        {
            if (s.TryGetDeviceOf(keys[j], out _))
            {
                return Failure.Conflict($"register_device.imeis[{j}] is already registered to another device");
            }
        }

        s.AddDevice(d.DeviceId, keys);
        plan.DevicesAdded.Add(new DeviceRecord(d.DeviceId, keys));
        foreach (var k in keys)
        {
            s.Apply(plan, Mutation.Register(k));
        }

        return null;
    }

    private static Failure? Unregister(UnregisterDeviceDelta d, Scratch s, BatchPlan plan)
    {
        if (CheckId(d.DeviceId, "unregister_device.device_id") is { } idError)
        {
            return idError;
        }

        if (!s.TryGetDevice(d.DeviceId, out var imeis))
        {
            return Failure.Conflict("unregister_device.device_id is not a registered device");
        }

        // Registered earlier in this batch: that registration is undone (a scan, only then: a batch of removals stays linear).
        if (s.AddedInBatch(d.DeviceId))
        {
            plan.DevicesAdded.RemoveAll(x => x.DeviceId == d.DeviceId);
        }

        s.RemoveDevice(d.DeviceId, imeis);
        plan.DevicesRemoved.Add(new DeviceRecord(d.DeviceId, imeis));
        foreach (var k in imeis)
        {
            s.Apply(plan, Mutation.Unregister(k));
        }

        return null;
    }

    private Failure? Bind(BindDelta d, Scratch s, BatchPlan plan)
    {
        if (ParseBinding("bind", d.Imei, d.Msisdn, d.Imsi, out var imei, out var msisdn, out var imsi) is { } error)
        {
            return error;
        }

        s.Apply(plan, Mutation.Bind(imei, msisdn, imsi));
        return null;
    }

    private Failure? Unbind(UnbindDelta d, Scratch s, BatchPlan plan)
    {
        if (ParseBinding("unbind", d.Imei, d.Msisdn, d.Imsi, out var imei, out var msisdn, out var imsi) is { } error)
        {
            return error;
        }

        if (!s.HasBinding(imei, new BindingRecord(msisdn, imsi)))
        {
            return Failure.Conflict("unbind: no binding of this imei, msisdn and imsi exists");
        }

        s.Apply(plan, Mutation.Unbind(imei, msisdn, imsi));
        return null;
    }

    private static Failure? ReportStolen(ReportStolenDelta d, Scratch s, BatchPlan plan)
    {
        var status = ImeiParser.TryParse(d.Imei, out var imei);
        if (status != ParseStatus.Ok)
        {
            return "report_stolen.imei " + Describe(status);
        }

        if (CheckId(d.CaseReference, "report_stolen.case_reference") is { } error)
        {
            return error;
        }

        s.Apply(plan, Mutation.Stolen(imei.Key.Value));
        plan.StolenCases.Add((imei.Key.Value, d.CaseReference));
        return null;
    }

    private static Failure? ClearStolen(ClearStolenDelta d, Scratch s, BatchPlan plan)
    {
        var status = ImeiParser.TryParse(d.Imei, out var imei);
        if (status != ParseStatus.Ok)
        {
            return "clear_stolen.imei " + Describe(status);
        }

        if (!s.IsStolen(imei.Key.Value))
        {
            return Failure.Conflict("clear_stolen.imei is not reported stolen");
        }

        s.Apply(plan, Mutation.ClearStolen(imei.Key.Value));
        plan.StolenCases.Add((imei.Key.Value, null));
        return null;
    }

    private Failure? UpsertSubscriber(UpsertSubscriberDelta d, Scratch s, BatchPlan plan)
    {
        var status = ImsiParser.TryParse(d.Imsi, out var imsi);
        if (status != ParseStatus.Ok)
        {
            return "upsert_subscriber.imsi " + ParseStatusText.DescribeImsi(status);
        }

        status = MsisdnParser.TryParse(d.Msisdn, _options.HomeCountryCode, out var msisdn);
        if (status != ParseStatus.Ok)
        {
            return "upsert_subscriber.msisdn " + ParseStatusText.DescribeMsisdn(status);
        }

        s.Apply(plan, Mutation.Subscriber(imsi.Key, msisdn.Value));
        return null;
    }

    private static Failure? RemoveSubscriber(RemoveSubscriberDelta d, Scratch s, BatchPlan plan)
    {
        var status = ImsiParser.TryParse(d.Imsi, out var imsi);
        if (status != ParseStatus.Ok)
        {
            return "remove_subscriber.imsi " + ParseStatusText.DescribeImsi(status);
        }

        if (!s.HasSubscriber(imsi.Key))
        {
            return Failure.Conflict("remove_subscriber.imsi is not in the subscriber map");
        }

        s.Apply(plan, Mutation.RemoveSubscriber(imsi.Key));
        return null;
    }

    private Failure? Switch(SwitchNumberDelta d, Scratch s, BatchPlan plan, IGraceMarks? marks, long nowTicks)
    {
        var status = MsisdnParser.TryParse(d.PreviousMsisdn, _options.HomeCountryCode, out var previous);
        if (status != ParseStatus.Ok)
        {
            return "switch_number.previous_msisdn " + ParseStatusText.DescribeMsisdn(status);
        }

        status = MsisdnParser.TryParse(d.NewMsisdn, _options.HomeCountryCode, out var next);
        if (status != ParseStatus.Ok)
        {
            return "switch_number.new_msisdn " + ParseStatusText.DescribeMsisdn(status);
        }

        if (previous == next)
        {
            return "switch_number.new_msisdn is the same number as previous_msisdn";
        }

        List<long> imeis;
        if (!string.IsNullOrEmpty(d.Imei))
        {
            status = ImeiParser.TryParse(d.Imei, out var imei);
            if (status != ParseStatus.Ok)
            {
                return "switch_number.imei " + Describe(status);
            }

            if (!s.HasMsisdn(imei.Key.Value, previous.Value))
            {
                return Failure.Conflict("switch_number.imei is not bound to previous_msisdn");
            }

            imeis = [imei.Key.Value];
        }
        else if (marks is null)
        {
            return "switch_number.imei is required in a registry batch";
        }
        else
        {
            var since = nowTicks - _options.GraceMarkRetention.Ticks;
            imeis = [.. marks.ImeisSeenWith(SubscriberKey.FromMsisdn(next.Value), since)
                .Where(i => s.HasMsisdn(i, previous.Value))];
            if (imeis.Count == 0)
            {
                return Failure.Conflict("switch_number: no IMEI bound to previous_msisdn was used with new_msisdn");
            }
        }

        foreach (var imei in imeis)
        {
            foreach (var r in s.BindingRecords(imei))
            {
                if (r.Msisdn == previous.Value)
                {
                    s.Apply(plan, Mutation.Unbind(imei, r.Msisdn, r.Imsi));
                }
            }

            s.Apply(plan, Mutation.Bind(imei, next.Value));
            plan.GraceMarksConsumed.Add((imei, SubscriberKey.FromMsisdn(next.Value)));
            plan.SwitchedImeis.Add(imei);
        }

        return null;
    }

    private string? ParseBinding(string op, string imeiText, string msisdnText, string imsiText, out long imei, out long msisdn, out long imsi)
    {
        imei = msisdn = imsi = 0;
        var status = ImeiParser.TryParse(imeiText, out var parsedImei);
        if (status != ParseStatus.Ok)
        {
            return $"{op}.imei {Describe(status)}";
        }

        status = MsisdnParser.TryParse(msisdnText, _options.HomeCountryCode, out var parsedMsisdn);
        if (status != ParseStatus.Ok)
        {
            return $"{op}.msisdn {ParseStatusText.DescribeMsisdn(status)}";
        }

        if (!string.IsNullOrEmpty(imsiText))
        {
            status = ImsiParser.TryParse(imsiText, out var parsedImsi);
            if (status != ParseStatus.Ok)
            {
                return $"{op}.imsi {ParseStatusText.DescribeImsi(status)}";
            }

            imsi = parsedImsi.Key;
        }

        imei = parsedImei.Key.Value;
        msisdn = parsedMsisdn.Value;
        return null;
    }

    private static string? CheckId(string? id, string field)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return field + " is empty";
        }

        if (id.Length > MaxIdLength)
        {
            return $"{field} is longer than {MaxIdLength} characters";
        }

        foreach (var c in id)
        {
            if (char.IsControl(c))
            {
                return field + " contains a control character";
            }
        }

        return null;
    }

    private static string Describe(ParseStatus status) => ParseStatusText.DescribeImei(status);

    /// <summary>Why one delta was refused; a plain string is malformed input, <see cref="Conflict"/> a state conflict.</summary>
    private readonly record struct Failure(string Message, DeltaErrorKind Kind)
    {
        public static implicit operator Failure(string message) => new(message, DeltaErrorKind.Invalid);

        public static Failure Conflict(string message) => new(message, DeltaErrorKind.Conflict);
    }

    /// <summary>
    /// How many deltas of each kind a batch has (one pass of type tests), so that the plan and the scratch state are
    /// sized once: regrowing them copies them, and a 10 000-delta batch's are large objects.
    /// </summary>
    private readonly record struct BatchShape(int Deltas, int Devices, int Imeis, int Stolen, int BoundImeis, int Subscribers)
    {
        public static BatchShape Of(IReadOnlyList<RegistryDelta> deltas)
        {
            ArgumentNullException.ThrowIfNull(deltas);
            if (deltas is PackedDeltas packed)
            {
                return Of(packed);
            }

            int devices = 0, imeis = 0, stolen = 0, bound = 0, subscribers = 0;
            for (var i = 0; i < deltas.Count; i++)
            {
                switch (deltas[i])
                {
                    case RegisterDeviceDelta r: devices++; imeis += r.Imeis?.Count ?? 0; break;
                    case UnregisterDeviceDelta: devices++; imeis += 2; break;
                    case BindDelta or UnbindDelta or SwitchNumberDelta: bound++; break;
                    case ReportStolenDelta or ClearStolenDelta: stolen++; break;
                    case UpsertSubscriberDelta or RemoveSubscriberDelta: subscribers++; break;
                    default: break;
                }
            }

            return new BatchShape(deltas.Count, devices, imeis, stolen, bound, subscribers);
        }

        // The same from the packed kinds, materialising no delta.
        private static BatchShape Of(PackedDeltas deltas)
        {
            int devices = 0, imeis = 0, stolen = 0, bound = 0, subscribers = 0;
            for (var i = 0; i < deltas.Count; i++)
            {
                switch (deltas.KindAt(i))
                {
                    case PackedDeltas.DeltaKind.RegisterDevice: devices++; imeis += deltas.ImeiCountAt(i); break;
                    case PackedDeltas.DeltaKind.UnregisterDevice: devices++; imeis += 2; break;
                    case PackedDeltas.DeltaKind.Bind or PackedDeltas.DeltaKind.Unbind or PackedDeltas.DeltaKind.SwitchNumber: bound++; break;
                    case PackedDeltas.DeltaKind.ReportStolen or PackedDeltas.DeltaKind.ClearStolen: stolen++; break;
                    case PackedDeltas.DeltaKind.UpsertSubscriber or PackedDeltas.DeltaKind.RemoveSubscriber: subscribers++; break;
                    default: break;
                }
            }

            return new BatchShape(deltas.Count, devices, imeis, stolen, bound, subscribers);
        }

        // Most deltas make one mutation, a device delta one per IMEI (an unregistration's are guessed: 2).
        public BatchPlan NewPlan() => new(Deltas - Devices + Imeis + 16, Devices, Imeis);
    }

    /// <summary>
    /// The index and the device directory as this batch has changed them so far. The index part is the batch's
    /// <see cref="IndexEffectBuilder"/>: the deltas are validated against the very state the plan's effect is built from.
    /// </summary>
    private sealed class Scratch
    {
        private readonly IndexEffectBuilder _index;
        private readonly IDeviceDirectory _devices;
        private readonly Dictionary<string, long[]?> _deviceChanges;
        private readonly Dictionary<long, string?> _ownerChanges;

        public Scratch(EirView view, IDeviceDirectory devices, BatchPlan plan, BatchShape shape)
        {
            _index = new IndexEffectBuilder(view, shape.Imeis, shape.Stolen, shape.BoundImeis, shape.Subscribers);
            _devices = devices;
            // The batch's net effect on the directory is kept in the plan: the batches planned behind it read it.
            _deviceChanges = plan.DeviceChanges;
            _ownerChanges = plan.OwnerChanges;
        }

        public bool TryGetDevice(string id, out long[] imeis)
        {
            if (_deviceChanges.TryGetValue(id, out var changed))
            {
                imeis = changed ?? [];
                return changed is not null;
            }

            return _devices.TryGetDevice(id, out imeis);
        }

        public bool AddedInBatch(string id) => _deviceChanges.TryGetValue(id, out var changed) && changed is not null;

        public bool TryGetDeviceOf(long imei, out string id)
        {
            if (_ownerChanges.TryGetValue(imei, out var changed))
            {
                id = changed ?? "";
                return changed is not null;
            }

            return _devices.TryGetDeviceOf(imei, out id);
        }

        public void AddDevice(string id, long[] imeis)
        {
            _deviceChanges[id] = imeis;
            foreach (var i in imeis)
            {
                _ownerChanges[i] = id;
            }
        }

        public void RemoveDevice(string id, long[] imeis)
        {
            _deviceChanges[id] = null;
            foreach (var i in imeis)
            {
                _ownerChanges[i] = null;
            }
        }

        public bool IsStolen(long imei) => _index.IsStolen(imei);

        public bool HasSubscriber(long imsi) => _index.TryGetMsisdn(imsi, out _);

        /// <summary>The IMEI's records as this batch has changed them, as a copy (the caller applies mutations while walking it).</summary>
        public BindingRecord[] BindingRecords(long imei) => _index.GetBindingRecords(imei);

        public bool HasBinding(long imei, BindingRecord record) => _index.HasBinding(imei, record);

        public bool HasMsisdn(long imei, long msisdn) => _index.HasMsisdn(imei, msisdn);

        public void Apply(BatchPlan plan, Mutation m)
        {
            plan.Mutations.Add(m);
            _index.Apply(in m);
        }

        /// <summary>The batch's effect on the view; of nothing when the plan has errors (it applies nothing).</summary>
        public IndexEffect BuildEffect(bool valid) => valid ? _index.Build() : IndexEffect.Nothing(_index.Basis);
    }
}
