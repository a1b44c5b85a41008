using System.Buffers;
using System.Collections;

namespace ImeiEir.Core.Registry;

/// <summary>
/// A batch's deltas as received, kept as text in pooled buffers instead of objects and strings per delta; each is
/// materialised as a <see cref="RegistryDelta"/> when read (by the planner: short-lived). A batch waits for its turn,
/// is planned, committed and acknowledged over hundreds of milliseconds; held as objects, its ~40 000 objects outlived
/// the youngest garbage-collected generation and every collection during a sync copied the batches in flight, pausing
/// the checks 40–90 ms each time (bench/RESULTS.md, "Write side"). <see cref="Dispose"/> returns the buffers: call it
/// once the batch is answered (nothing reads it after that).
/// </summary>
/// <remarks>Not thread-safe: filled by one thread, then read by one at a time. Text is kept as it came (no validation).</remarks>
public sealed class PackedDeltas : IReadOnlyList<RegistryDelta>, IDisposable
{
    // Each field is its length (two chars: low and high 16 bits) and its chars. A registration is its device id, its
    // IMEI count (two chars) and each IMEI. An unknown delta kind has no fields.
    private char[] _text;
    private int _textLength;
    private int[] _starts;
    private DeltaKind[] _kinds;
    private bool _disposed;

    /// <param name="expectedDeltas">Deltas expected (the buffers are rented for about this many).</param>
    public PackedDeltas(int expectedDeltas)
    {
        var deltas = Math.Max(expectedDeltas, 1);
        _text = ArrayPool<char>.Shared.Rent(deltas * 48);
        _starts = ArrayPool<int>.Shared.Rent(deltas);
        _kinds = ArrayPool<DeltaKind>.Shared.Rent(deltas);
    }

    /// <summary>The kinds of delta, numbered as the contract's <c>Delta.change</c> cases (0: none or unknown).</summary>
    internal enum DeltaKind : byte
    {
        Unknown = 0,
        RegisterDevice = 1,
        UnregisterDevice = 2,
        Bind = 3,
        Unbind = 4,
        ReportStolen = 5,
        ClearStolen = 6,
        UpsertSubscriber = 7,
        RemoveSubscriber = 8,
        SwitchNumber = 9,
    }

    public int Count { get; private set; }

    /// <summary>The delta at <paramref name="index"/>, a new object each time; null for a delta with no change set.</summary>
    public RegistryDelta this[int index] => Read(index)!;

    public void AddRegisterDevice(string deviceId, IReadOnlyList<string> imeis)
    {
        Begin(DeltaKind.RegisterDevice);
        Put(deviceId);
        PutLength(imeis.Count);
        foreach (var imei in imeis)
        {
            Put(imei);
        }
    }

    public void AddUnregisterDevice(string deviceId) => Add(DeltaKind.UnregisterDevice, deviceId);

    public void AddBind(string imei, string msisdn, string imsi) => Add(DeltaKind.Bind, imei, msisdn, imsi);

    public void AddUnbind(string imei, string msisdn, string imsi) => Add(DeltaKind.Unbind, imei, msisdn, imsi);

    public void AddReportStolen(string imei, string caseReference) => Add(DeltaKind.ReportStolen, imei, caseReference);

    public void AddClearStolen(string imei) => Add(DeltaKind.ClearStolen, imei);

    public void AddUpsertSubscriber(string imsi, string msisdn) => Add(DeltaKind.UpsertSubscriber, imsi, msisdn);

    public void AddRemoveSubscriber(string imsi) => Add(DeltaKind.RemoveSubscriber, imsi);

    public void AddSwitchNumber(string previousMsisdn, string newMsisdn, string imei) => Add(DeltaKind.SwitchNumber, previousMsisdn, newMsisdn, imei);

    /// <summary>A delta with no change set, or of a kind this node does not know (read back as null: the planner refuses it).</summary>
    public void AddEmpty() => Begin(DeltaKind.Unknown);

    /// <summary>
    /// The deltas counted by kind, <see cref="ChangeOrigin.Kinds"/> of them in the contract's <c>Delta.change</c> order
    /// (the audit trail's counts); an empty delta counts nowhere.
    /// </summary>
    public uint[] CountByKind()
    {
        var counts = new uint[ChangeOrigin.Kinds];
        for (var i = 0; i < Count; i++)
        {
            if (KindAt(i) is not DeltaKind.Unknown and var kind)
            {
                counts[(int)kind - 1]++;
            }
        }

        return counts;
    }

    internal DeltaKind KindAt(int index)
    {
        CheckIndex(index);
        return _kinds[index];
    }

    /// <summary>The IMEI count of a registration (0 for any other delta), without materialising it.</summary>
    internal int ImeiCountAt(int index) => KindAt(index) == DeltaKind.RegisterDevice ? ReadLength(_starts[index] + 2 + ReadLength(_starts[index])) : 0;

    public IEnumerator<RegistryDelta> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ArrayPool<char>.Shared.Return(_text);
        ArrayPool<int>.Shared.Return(_starts);
        ArrayPool<DeltaKind>.Shared.Return(_kinds);
        _text = [];
        _starts = [];
        _kinds = [];
    }

    private RegistryDelta? Read(int index)
    {
        CheckIndex(index);
        var at = _starts[index];
        switch (_kinds[index])
        {
            case DeltaKind.RegisterDevice:
            {
                var id = Take(ref at);
                var imeis = new string[ReadLength(at)];
                at += 2;
                for (var i = 0; i < imeis.Length; i++)
                {
                    imeis[i] = Take(ref at);
                }

                return new RegisterDeviceDelta(id, imeis);
            }

            case DeltaKind.UnregisterDevice: return new UnregisterDeviceDelta(Take(ref at));
            case DeltaKind.Bind: return new BindDelta(Take(ref at), Take(ref at), Take(ref at));
            case DeltaKind.Unbind: return new UnbindDelta(Take(ref at), Take(ref at), Take(ref at));
            case DeltaKind.ReportStolen: return new ReportStolenDelta(Take(ref at), Take(ref at));
            case DeltaKind.ClearStolen: return new ClearStolenDelta(Take(ref at));
            case DeltaKind.UpsertSubscriber: return new UpsertSubscriberDelta(Take(ref at), Take(ref at));
            case DeltaKind.RemoveSubscriber: return new RemoveSubscriberDelta(Take(ref at));
            case DeltaKind.SwitchNumber: return new SwitchNumberDelta(Take(ref at), Take(ref at), Take(ref at));
            default: return null;
        }
    }

    private void CheckIndex(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
    }

    private void Add(DeltaKind kind, string a)
    {
        Begin(kind);
        Put(a);
    }

    private void Add(DeltaKind kind, string a, string b)
    {
        Begin(kind);
        Put(a);
        Put(b);
    }

    private void Add(DeltaKind kind, string a, string b, string c)
    {
        Begin(kind);
        Put(a);
        Put(b);
        Put(c);
    }

    private void Begin(DeltaKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == _starts.Length)
        {
            _starts = Grow(_starts, Count);
            _kinds = Grow(_kinds, Count);
        }

        _starts[Count] = _textLength;
        _kinds[Count] = kind;
        Count++;
    }

    private void Put(string? value)
    {
        value ??= "";
        PutLength(value.Length);
        Reserve(value.Length);
        value.CopyTo(_text.AsSpan(_textLength));
        _textLength += value.Length;
    }

    private void PutLength(int length)
    {
        Reserve(2);
        _text[_textLength] = (char)(length & 0xFFFF);
        _text[_textLength + 1] = (char)(length >>> 16);
        _textLength += 2;
    }

    private void Reserve(int chars)
    {
        if (_text.Length - _textLength < chars)
        {
            var next = ArrayPool<char>.Shared.Rent(Math.Max(_text.Length * 2, _textLength + chars));
            _text.AsSpan(0, _textLength).CopyTo(next);
            ArrayPool<char>.Shared.Return(_text);
            _text = next;
        }
    }

    private int ReadLength(int at) => _text[at] | (_text[at + 1] << 16);

    private string Take(ref int at)
    {
        var length = ReadLength(at);
        var value = length == 0 ? "" : new string(_text, at + 2, length);
        at += 2 + length;
        return value;
    }

    private static T[] Grow<T>(T[] array, int used)
    {
        var next = ArrayPool<T>.Shared.Rent(array.Length * 2);
        array.AsSpan(0, used).CopyTo(next);
        ArrayPool<T>.Shared.Return(array);
        return next;
    }
}
