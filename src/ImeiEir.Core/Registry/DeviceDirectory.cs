using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ImeiEir.Core.Registry;

/// <summary>
/// The node's device directory: device id → its IMEIs, IMEI → the device it is registered under. Derived from the
/// checkpoint and the log (Redis keeps no per-device record), changed by the writer holding the writer's turn; read by
/// the planner and by self-service on any thread (one lock: neither is the check path).
/// <para>
/// Compact: each device is one record in a paged byte arena (<see cref="RecordArena"/>) — id length (2 bytes,
/// the top bit marks a removed record), the id in UTF-8, the IMEI count (1 byte), each IMEI in 7 bytes — and two
/// segmented open-addressing tables (<see cref="RecordTable"/>) hold record offsets (4 bytes), one slot per device by
/// the id's hash and one per IMEI by the IMEI's hash; a lookup compares the record's bytes. No string or array per
/// device: a 12-character id with 1.15 IMEIs is ~23 bytes of arena and 2.15 slots (8.6 bytes at load 1, ~11–17 at the
/// loads the tables keep).
/// </para>
/// <para>
/// Growth never pauses for the whole: a new record takes one more arena page at most (nothing copied), and a table
/// rehashes one of its 1 024 segments at a time. Removed records stay in their page until it is mostly garbage; then
/// its live records move to the arena's end, <see cref="EvacuationStep"/> records per change, and the page is reused.
/// </para>
/// </summary>
public sealed class DeviceDirectory : IDeviceDirectory
{
    /// <summary>Longest device id accepted, in UTF-8 bytes (<see cref="BatchPlanner.MaxIdLength"/> characters fit).</summary>
    public const int MaxIdBytes = 0x7FFF;

    /// <summary>Live records moved out of a page being evacuated per registration or removal (bounds each change's work).</summary>
    public const int EvacuationStep = 64;

    private const ushort Removed = 0x8000;
    private const int ImeiBytes = 7;
    private const ulong FormatMagic = 0x3156454452494545; // "EEIRDEV1" little-endian

    // An IMEI a later record took over (never valid: keys are below 10^15): the older record no longer holds it.
    private const long Vacated = (1L << 56) - 1;

    private readonly Lock _gate = new();
    private RecordArena _arena;
    private RecordTable _byId;
    private RecordTable _byImei;
    private int _evacuateAt; // next position in the page being evacuated

    public DeviceDirectory()
        : this(new RecordArena(), 0, 0)
    {
    }

    // The tables read their records' keys from this arena (they move with it in ReplaceWith).
    private DeviceDirectory(RecordArena arena, long devices, long imeis)
    {
        _arena = arena;
        _byId = new RecordTable((record, hashes) => IdHashes(arena, record, hashes), devices);
        _byImei = new RecordTable((record, hashes) => ImeiHashes(arena, record, hashes), imeis);
        _evacuateAt = 1;
    }

    /// <summary>Registered devices.</summary>
    public int Count { get; private set; }

    /// <summary>IMEIs with an owner.</summary>
    public long ImeiCount { get; private set; }

    /// <summary>Bytes held by the arena and both tables (for the memory figures).</summary>
    public long BytesHeld
    {
        get
        {
            lock (_gate)
            {
                return _arena.BytesHeld + _byId.BytesHeld + _byImei.BytesHeld;
            }
        }
    }

    public bool TryGetDevice(string deviceId, out long[] imeis)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        Span<byte> id = stackalloc byte[Encoding.UTF8.GetMaxByteCount(deviceId.Length)];
        id = id[..Encoding.UTF8.GetBytes(deviceId, id)];
        lock (_gate)
        {
            var record = FindById(id, out _);
            imeis = record == 0 ? [] : ReadImeis(record);
            return record != 0;
        }
    }

    public bool TryGetDeviceOf(long imei, out string deviceId)
    {
        lock (_gate)
        {
            var record = FindByImei(imei, out _);
            deviceId = record == 0 ? "" : Encoding.UTF8.GetString(IdOf(record));
            return record != 0;
        }
    }

    /// <summary>Registers a device with its IMEIs (replacing a record of the same id; each IMEI now belongs to it).</summary>
    public void Add(string deviceId, ReadOnlySpan<long> imeis)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var length = Encoding.UTF8.GetByteCount(deviceId);
        if (length > MaxIdBytes || imeis.Length > byte.MaxValue)
        {
            throw new ArgumentException($"A device id of {length} bytes with {imeis.Length} IMEIs does not fit a directory record.", nameof(deviceId));
        }

        // Each IMEI once (a record holds one slot per IMEI it lists).
        Span<long> distinct = stackalloc long[imeis.Length];
        var held = 0;
        foreach (var imei in imeis)
        {
            if ((ulong)imei >= Vacated)
            {
                throw new ArgumentOutOfRangeException(nameof(imeis), "An IMEI key does not fit 7 bytes.");
            }

            if (!distinct[..held].Contains(imei))
            {
                distinct[held++] = imei;
            }
        }

        ReadOnlySpan<long> listed = distinct[..held];
        lock (_gate)
        {
            Span<byte> id = stackalloc byte[length];
            Encoding.UTF8.GetBytes(deviceId, id);
            RemoveLocked(id);
            Evacuate();
            var size = 2 + length + 1 + (listed.Length * ImeiBytes);
            var record = _arena.Allocate(size);
            var span = _arena.At(record)[..size];
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
            id.CopyTo(span[2..]);
            span[2 + length] = (byte)listed.Length;
            for (var i = 0; i < listed.Length; i++)
            {
                WriteImei(span[(3 + length + (i * ImeiBytes))..], listed[i]);
            }

            InsertLocked(record);
        }
    }

    /// <summary>Removes a device and the owner entries of its IMEIs; false when it is not registered.</summary>
    public bool Remove(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        Span<byte> id = stackalloc byte[Encoding.UTF8.GetMaxByteCount(deviceId.Length)];
        id = id[..Encoding.UTF8.GetBytes(deviceId, id)];
        lock (_gate)
        {
            var removed = RemoveLocked(id);
            Evacuate();
            return removed;
        }
    }

    /// <summary>A committed batch's device changes: its removals, then its registrations (as the log carries them).</summary>
    public void Apply(IEnumerable<string> removed, IEnumerable<DeviceRecord> added)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        foreach (var id in removed)
        {
            Remove(id);
        }

        foreach (var d in added)
        {
            Add(d.DeviceId, d.Imeis);
        }
    }

    /// <summary>A valid plan's device changes (<see cref="BatchPlan.DevicesRemoved"/>, then <see cref="BatchPlan.DevicesAdded"/>).</summary>
    public void Apply(BatchPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.DevicesRemoved.Count == 0 && plan.DevicesAdded.Count == 0)
        {
            return;
        }

        Apply(plan.DevicesRemoved.Select(d => d.DeviceId), plan.DevicesAdded);
    }

    /// <summary>Takes the content of <paramref name="other"/> (a directory read from a checkpoint); <paramref name="other"/> is not used again.</summary>
    public void ReplaceWith(DeviceDirectory other)
    {
        ArgumentNullException.ThrowIfNull(other);
        lock (_gate)
        {
            (_arena, _byId, _byImei, _evacuateAt) = (other._arena, other._byId, other._byImei, other._evacuateAt);
            (Count, ImeiCount) = (other.Count, other.ImeiCount);
        }
    }

    /// <summary>Empties the directory.</summary>
    public void Clear() => ReplaceWith(new DeviceDirectory());

    /// <summary>
    /// The checkpoint form: 8 bytes magic, 8 bytes record count, then each live record as held (2 bytes id length, the
    /// UTF-8 id, 1 byte IMEI count, 7 bytes per IMEI, little-endian), page by page.
    /// </summary>
    public void WriteTo(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_gate)
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(header, FormatMagic);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], Count);
            output.Write(header);
            for (var p = 0; p < _arena.PageCount; p++)
            {
                // Live records lie in runs between removed ones: each run is written at once.
                var page = _arena.Page(p);
                var run = 1;
                for (var at = 1; at < page.Length;)
                {
                    var size = RecordSize(page[at..]);
                    if (IsRemoved(page[at..]))
                    {
                        output.Write(page[run..at]);
                        run = at + size;
                    }

                    at += size;
                }

                if (run < page.Length)
                {
                    output.Write(page[run..]);
                }
            }
        }
    }

    /// <summary>Reads the form <see cref="WriteTo"/> writes.</summary>
    public static DeviceDirectory ReadFrom(ReadOnlySpan<byte> bytes) => ReadFrom([bytes.ToArray()]);

    /// <summary>
    /// Reads the form <see cref="WriteTo"/> writes, cut in <paramref name="chunks"/> (a checkpoint's): the records are
    /// checked and copied once, into arena pages, then indexed where they lie (the two tables on two threads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DeviceDirectory ReadFrom(IReadOnlyList<byte[]> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var input = new ChunkReader(chunks);
        if (input.Length < 16)
        {
            throw new InvalidDataException("Not an ImeiEir device directory (too short).");
        }

        Span<byte> header = stackalloc byte[16];
        input.Copy(0, header);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != FormatMagic)
        {
            throw new InvalidDataException("Not an ImeiEir device directory (bad magic or unknown version).");
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (count < 0 || count > input.Length / 3)
        {
            throw new InvalidDataException("The device directory's record count does not fit its length.");
        }

        var arena = new RecordArena();
        var imeis = 0L;
        var at = 16L;
        var run = at; // start of the records read but not yet copied (all fit the current page)
        var runBytes = 0;
        for (var i = 0L; i < count; i++)
        {
            var length = at + 3 <= input.Length ? input[at] | (input[at + 1] << 8) : -1;
            if (length < 0 || (length & Removed) != 0 || at + 2 + length >= input.Length)
            {
                throw new InvalidDataException("The device directory holds a malformed record.");
            }

            var held = input[at + 2 + length];
            var size = 2 + length + 1 + (held * ImeiBytes);
            if (runBytes + size > arena.Room)
            {
                Flush(arena, input, run, runBytes);
                (run, runBytes) = (at, 0);
                arena.NextPage();
            }

            imeis += held;
            runBytes += size;
            at += size;
        }

        if (at > input.Length)
        {
            throw new InvalidDataException("The device directory holds a malformed record.");
        }

        if (at != input.Length)
        {
            throw new InvalidDataException("The device directory's records do not end where it does.");
        }

        Flush(arena, input, run, runBytes);
        var directory = new DeviceDirectory(arena, count, imeis) { Count = (int)count };
        // A checkpoint's records are one consistent directory: no IMEI is looked up before it is inserted (each lookup
        // reads records on the probe path, a cache miss each; an insert reads only the table). The tables are
        // independent, so each is filled on its own thread.
        var owned = 0L;
        Parallel.Invoke(directory.FillIds, () => owned = directory.FillImeis());
        directory.ImeiCount = owned;
        return directory;
    }

    // Copies `bytes` bytes of whole records from the input at `from` to the current page (they fit it).
    private static void Flush(RecordArena arena, ChunkReader input, long from, int bytes)
    {
        if (bytes > 0)
        {
            var record = arena.Allocate(bytes);
            input.Copy(from, arena.At(record)[..bytes]);
        }
    }

    // The loading loops run once, at start, before tiered compilation has promoted anything: compiled optimized at once
    // (at tier 0 their small helpers would be calls, not inlined).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillIds()
    {
        for (var p = 0; p < _arena.PageCount; p++)
        {
            var page = _arena.Page(p);
            for (var at = 1; at < page.Length; at += RecordSize(page[at..]))
            {
                _byId.Insert(HashId(IdIn(page[at..])), RecordArena.OffsetOf(p, at));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long FillImeis()
    {
        var owned = 0L;
        for (var p = 0; p < _arena.PageCount; p++)
        {
            var page = _arena.Page(p);
            for (var at = 1; at < page.Length; at += RecordSize(page[at..]))
            {
                owned += InsertImeis(RecordArena.OffsetOf(p, at), takeOver: false);
            }
        }

        return owned;
    }

    private bool RemoveLocked(ReadOnlySpan<byte> id)
    {
        var record = FindById(id, out var at);
        if (record == 0)
        {
            return false;
        }

        _byId.DeleteAt(at);
        ImeiCount -= DeleteImeis(record);
        var span = _arena.At(record);
        var size = RecordSize(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span) | Removed));
        _arena.Free(record, size);
        Count--;
        return true;
    }

    // Puts a record written at the arena's end into both tables (an IMEI owned by another record moves to it).
    private void InsertLocked(int record)
    {
        _byId.Insert(HashId(IdOf(record)), record);
        Count++;
        ImeiCount += InsertImeis(record, takeOver: true);
    }

    // Puts the record's IMEIs into the IMEI table; with takeOver an IMEI another record owns moves to this one (the
    // planner refuses it; the directory stays exact anyway), else the caller knows none is owned. Returns the IMEIs newly owned.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long InsertImeis(int record, bool takeOver)
    {
        var imeis = ImeiSpan(record);
        var added = 0L;
        for (var i = 0; i < imeis.Length; i += ImeiBytes)
        {
            var imei = ReadImei(imeis[i..]);
            if (imei == Vacated)
            {
                continue;
            }

            // The record itself may be found (the slot of one of its IMEIs already inserted lies on this one's path).
            if (takeOver && FindByImei(imei, out _) is var owner && owner != 0 && owner != record)
            {
                // The owner lets it go: its slots are rebuilt without it (which of them is this IMEI's is not known).
                DeleteImeis(owner);
                Vacate(owner, imei);
                InsertImeis(owner, takeOver: false);
                _byImei.Insert(HashImei(imei), record);
                continue;
            }

            _byImei.Insert(HashImei(imei), record);
            added++;
        }

        return added;
    }

    // Deletes the record's IMEI slots (all of them: RecordTable.DeleteAll); returns how many IMEIs it owned.
    private long DeleteImeis(int record)
    {
        var imeis = ImeiSpan(record);
        var owned = 0L;
        for (var i = 0; i < imeis.Length; i += ImeiBytes)
        {
            if (ReadImei(imeis[i..]) is var imei and not Vacated)
            {
                _byImei.DeleteAll(HashImei(imei), record);
                owned++;
            }
        }

        return owned;
    }

    // Moves up to EvacuationStep live records out of the page due for evacuation, first in line, to the arena's end
    // (re-pointing their table slots); gives the page back once none is left.
    private void Evacuate()
    {
        if (!_arena.TryPeekEvacuation(out var p))
        {
            return;
        }

        var page = _arena.Page(p);  // read-only view; moved records are marked removed through At()
        for (var moved = 0; _evacuateAt < page.Length && moved < EvacuationStep; moved++)
        {
            var from = RecordArena.OffsetOf(p, _evacuateAt);
            var size = RecordSize(page[_evacuateAt..]);
            _evacuateAt += size;
            if (IsRemoved(page[(_evacuateAt - size)..]))
            {
                continue;
            }

            var to = _arena.Allocate(size);
            var record = _arena.At(from);
            record[..size].CopyTo(_arena.At(to));
            BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(record) | Removed));
            _byId.Relocate(HashId(IdOf(to)), from, to);
            var imeis = ImeiSpan(to);
            for (var i = 0; i < imeis.Length; i += ImeiBytes)
            {
                if (ReadImei(imeis[i..]) is var imei and not Vacated)
                {
                    _byImei.Relocate(HashImei(imei), from, to);
                }
            }
        }

        if (_evacuateAt >= page.Length)
        {
            _arena.Release(p);
            _evacuateAt = 1;
        }
    }

    private int FindById(ReadOnlySpan<byte> id, out RecordTable.Probe at)
    {
        for (at = _byId.Find(HashId(id)); at.Next(out var record);)
        {
            if (IdOf(record).SequenceEqual(id))
            {
                return record;
            }
        }

        return 0;
    }

    private int FindByImei(long imei, out RecordTable.Probe at)
    {
        for (at = _byImei.Find(HashImei(imei)); at.Next(out var record);)
        {
            if (Holds(record, imei))
            {
                return record;
            }
        }

        return 0;
    }

    private bool Holds(int record, long imei)
    {
        var imeis = ImeiSpan(record);
        for (var i = 0; i < imeis.Length; i += ImeiBytes)
        {
            if (ReadImei(imeis[i..]) == imei)
            {
                return true;
            }
        }

        return false;
    }

    private void Vacate(int record, long imei)
    {
        var span = _arena.At(record);
        var length = BinaryPrimitives.ReadUInt16LittleEndian(span) & ~Removed;
        var imeis = span.Slice(3 + length, span[2 + length] * ImeiBytes);
        for (var i = 0; i < imeis.Length; i += ImeiBytes)
        {
            if (ReadImei(imeis[i..]) == imei)
            {
                WriteImei(imeis[i..], Vacated);
            }
        }
    }

    private long[] ReadImeis(int record)
    {
        var span = ImeiSpan(record);
        var result = new List<long>(span.Length / ImeiBytes);
        for (var i = 0; i < span.Length; i += ImeiBytes)
        {
            if (ReadImei(span[i..]) is var imei and not Vacated)
            {
                result.Add(imei);
            }
        }

        return [.. result];
    }

    private ReadOnlySpan<byte> IdOf(int record) => IdIn(_arena.At(record));

    private ReadOnlySpan<byte> ImeiSpan(int record) => ImeisIn(_arena.At(record));

    private static ReadOnlySpan<byte> IdIn(ReadOnlySpan<byte> record) => record.Slice(2, BinaryPrimitives.ReadUInt16LittleEndian(record) & ~Removed);

    private static ReadOnlySpan<byte> ImeisIn(ReadOnlySpan<byte> record)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(record) & ~Removed;
        return record.Slice(3 + length, record[2 + length] * ImeiBytes);
    }

    private static bool IsRemoved(ReadOnlySpan<byte> record) => (BinaryPrimitives.ReadUInt16LittleEndian(record) & Removed) != 0;

    private static int RecordSize(ReadOnlySpan<byte> record)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(record) & ~Removed;
        return 2 + length + 1 + (record[2 + length] * ImeiBytes);
    }

    private static int IdHashes(RecordArena arena, int record, Span<int> hashes)
    {
        hashes[0] = HashId(IdIn(arena.At(record)));
        return 1;
    }

    // The hashes of the IMEIs the record owns (a taken-over one is Vacated in it, and has no slot for it).
    private static int ImeiHashes(RecordArena arena, int record, Span<int> hashes)
    {
        var imeis = ImeisIn(arena.At(record));
        var count = 0;
        for (var i = 0; i < imeis.Length; i += ImeiBytes)
        {
            if (ReadImei(imeis[i..]) is var imei and not Vacated)
            {
                hashes[count++] = HashImei(imei);
            }
        }

        return count;
    }

    private static int HashId(ReadOnlySpan<byte> id)
    {
        var h = new HashCode();
        h.AddBytes(id);
        return h.ToHashCode() & int.MaxValue;
    }

    private static int HashImei(long imei) => (int)(((ulong)imei * 0x9E3779B97F4A7C15UL) >> 33);

    private static void WriteImei(Span<byte> destination, long imei)
    {
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(eight, imei);
        eight[..ImeiBytes].CopyTo(destination);
    }

    private static long ReadImei(ReadOnlySpan<byte> source)
    {
        Span<byte> eight = stackalloc byte[8];
        source[..ImeiBytes].CopyTo(eight);
        return BinaryPrimitives.ReadInt64LittleEndian(eight);
    }
}
