using System.Buffers.Binary;
using System.Text;

using ImeiEir.Core.Registry;

namespace ImeiEir.Benchmarks.Baseline;

/// <summary>
/// The device directory as it was before its arena was paged (main at 1b9f3ae, copied unchanged but for the name and
/// the batch-plan overloads): the baseline of <c>--directory</c>, in the same run.
/// The node's device directory: device id → its IMEIs, IMEI → the device it is registered under. Derived from the
/// checkpoint and the log (Redis keeps no per-device record), changed by the writer holding the writer's turn; read by
/// the planner and by self-service on any thread (one lock: neither is the check path).
/// <para>
/// Compact: each device is one record in a byte arena — id length (2 bytes,
/// the top bit marks a removed record), the id in UTF-8, the IMEI count (1 byte), each IMEI in 7 bytes — and two
/// open-addressing tables (linear probing, load ≤ ¾) hold record offsets (4 bytes), one slot per device by the id's
/// hash and one per IMEI by the IMEI's hash; a lookup compares the record's bytes. No string or array per device: a
/// 12-character id with 1.15 IMEIs is ~23 bytes of arena and 2.15 slots (8.6 bytes at load 1, ~11–17 at the loads
/// the tables keep). Removed records
/// stay in the arena until it is rebuilt (when they are a third of it, or a table is full); a rebuild copies the live
/// records in order and re-inserts them.
/// </para>
/// </summary>
internal sealed class DoublingDeviceDirectory
{
    /// <summary>Longest device id accepted, in UTF-8 bytes (BatchPlanner.MaxIdLength characters fit).</summary>
    public const int MaxIdBytes = 0x7FFF;

    private const ushort Removed = 0x8000;
    private const int ImeiBytes = 7;
    private const int Empty = 0;
    private const int Deleted = -1;
    private const ulong FormatMagic = 0x3156454452494545; // "EEIRDEV1" little-endian

    // An IMEI a later record took over (never valid: keys are below 10^15): the older record no longer holds it.
    private const long Vacated = (1L << 56) - 1;

    private readonly Lock _gate = new();
    private byte[] _arena = new byte[4096];
    private int _used = 1; // offset 0 is never a record: a slot holds offset, 0 is empty
    private int _garbage;
    private int[] _byId = new int[64];
    private int[] _byImei = new int[64];
    private int _idSlotsUsed;
    private int _imeiSlotsUsed;

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
                return _arena.LongLength + (4L * (_byId.Length + _byImei.Length));
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

        lock (_gate)
        {
            Span<byte> id = stackalloc byte[length];
            Encoding.UTF8.GetBytes(deviceId, id);
            RemoveLocked(id);
            var size = 2 + length + 1 + (imeis.Length * ImeiBytes);
            EnsureRoom(size, imeis.Length);
            var record = _used;
            var span = _arena.AsSpan(record, size);
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
            id.CopyTo(span[2..]);
            span[2 + length] = (byte)imeis.Length;
            for (var i = 0; i < imeis.Length; i++)
            {
                WriteImei(span[(3 + length + (i * ImeiBytes))..], imeis[i]);
            }

            _used += size;
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
            return RemoveLocked(id);
        }
    }

    /// <summary>Takes the content of <paramref name="other"/> (a directory read from a checkpoint); <paramref name="other"/> is not used again.</summary>
    public void ReplaceWith(DoublingDeviceDirectory other)
    {
        ArgumentNullException.ThrowIfNull(other);
        lock (_gate)
        {
            (_arena, _used, _garbage, _byId, _byImei, _idSlotsUsed, _imeiSlotsUsed) =
                (other._arena, other._used, other._garbage, other._byId, other._byImei, other._idSlotsUsed, other._imeiSlotsUsed);
            (Count, ImeiCount) = (other.Count, other.ImeiCount);
        }
    }

    /// <summary>Empties the directory.</summary>
    public void Clear() => ReplaceWith(new DoublingDeviceDirectory());

    /// <summary>
    /// The checkpoint form: 8 bytes magic, 8 bytes record count, then each live record as held (2 bytes id length, the
    /// UTF-8 id, 1 byte IMEI count, 7 bytes per IMEI, little-endian), in arena order.
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
            // Live records lie in runs between removed ones: each run is written at once.
            var run = 1;
            for (var at = 1; at < _used;)
            {
                var size = RecordSize(at);
                if ((BinaryPrimitives.ReadUInt16LittleEndian(_arena.AsSpan(at)) & Removed) != 0)
                {
                    output.Write(_arena, run, at - run);
                    run = at + size;
                }

                at += size;
            }

            output.Write(_arena, run, _used - run);
        }
    }

    /// <summary>Reads the form <see cref="WriteTo"/> writes.</summary>
    public static DoublingDeviceDirectory ReadFrom(ReadOnlySpan<byte> bytes) => ReadFrom([bytes.ToArray()]);

    /// <summary>
    /// Reads the form <see cref="WriteTo"/> writes, cut in <paramref name="chunks"/> (a checkpoint's): the records are
    /// copied once, into the arena, and indexed where they lie.
    /// </summary>
    public static DoublingDeviceDirectory ReadFrom(IReadOnlyList<byte[]> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var total = 0L;
        foreach (var c in chunks)
        {
            total += c.Length;
        }

        if (total < 16 || total - 16 >= Array.MaxLength)
        {
            throw new InvalidDataException("Not an ImeiEir device directory (too short or too long).");
        }

        Span<byte> header = stackalloc byte[16];
        var arena = new byte[Math.Max(4096, total - 16 + 1)];
        var at = 0L;
        foreach (var c in chunks)
        {
            for (var i = 0; i < c.Length; i++, at++)
            {
                if (at >= 16)
                {
                    c.AsSpan(i).CopyTo(arena.AsSpan((int)(at - 16 + 1)));
                    at += c.Length - i;
                    break;
                }

                header[(int)at] = c[i];
            }
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != FormatMagic)
        {
            throw new InvalidDataException("Not an ImeiEir device directory (bad magic or unknown version).");
        }

        return Index(arena, (int)(total - 16 + 1), BinaryPrimitives.ReadInt64LittleEndian(header[8..]));
    }

    // Records lie in the arena from offset 1 to `used`: checked, counted, then put into tables sized once.
    private static DoublingDeviceDirectory Index(byte[] arena, int used, long count)
    {
        var imeis = 0L;
        var at = 1;
        for (var i = 0L; i < count; i++)
        {
            var length = at + 2 <= used ? BinaryPrimitives.ReadUInt16LittleEndian(arena.AsSpan(at)) : -1;
            if (length < 0 || (length & Removed) != 0 || at + 2 + length >= used)
            {
                throw new InvalidDataException("The device directory holds a malformed record.");
            }

            imeis += arena[at + 2 + length];
            at += 2 + length + 1 + (arena[at + 2 + length] * ImeiBytes);
        }

        if (at != used)
        {
            throw new InvalidDataException("The device directory's records do not end where it does.");
        }

        var directory = new DoublingDeviceDirectory
        {
            _arena = arena,
            _used = used,
            _byId = new int[TableSize(count * 3 / 2)],
            _byImei = new int[TableSize(imeis * 3 / 2)],
        };
        // A checkpoint's records are one consistent directory: no IMEI is looked up before it is inserted (each
        // lookup reads records on the probe path, a cache miss each; an insert reads only the table).
        for (var record = 1; record < used; record += directory.RecordSize(record))
        {
            directory.InsertLocked(record, takeOver: false);
        }

        return directory;
    }

    private static int TableSize(long entries)
    {
        var size = 64L;
        while (size * 3 / 4 <= entries + 1)
        {
            size *= 2;
        }

        return (int)Math.Min(size, 1 << 30);
    }

    private bool RemoveLocked(ReadOnlySpan<byte> id)
    {
        var record = FindById(id, out var idSlot);
        if (record == 0)
        {
            return false;
        }

        _byId[idSlot] = Deleted;
        var imeis = ImeiSpan(record);
        for (var i = 0; i < imeis.Length / ImeiBytes; i++)
        {
            var imei = ReadImei(imeis[(i * ImeiBytes)..]);
            if (FindByImei(imei, out var slot) == record)
            {
                _byImei[slot] = Deleted;
                ImeiCount--;
            }
        }

        var size = RecordSize(record);
        BinaryPrimitives.WriteUInt16LittleEndian(_arena.AsSpan(record), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_arena.AsSpan(record)) | Removed));
        _garbage += size;
        Count--;
        return true;
    }

    // Puts a record written at the arena's end into both tables (an IMEI owned by another record moves to it, unless
    // the caller knows none is).
    private void InsertLocked(int record, bool takeOver = true)
    {
        var id = IdOf(record);
        var mask = _byId.Length - 1;
        for (var slot = HashId(id) & mask; ; slot = (slot + 1) & mask)
        {
            if (_byId[slot] == Empty)
            {
                _byId[slot] = record;
                _idSlotsUsed++;
                break;
            }
        }

        Count++;
        var imeis = ImeiSpan(record);
        mask = _byImei.Length - 1;
        for (var i = 0; i < imeis.Length / ImeiBytes; i++)
        {
            var imei = ReadImei(imeis[(i * ImeiBytes)..]);
            if (imei == Vacated)
            {
                continue;
            }

            var owned = 0;
            var owner = takeOver ? FindByImei(imei, out owned) : 0;
            if (owner != 0)
            {
                // Taken over (the planner refuses it; the directory stays exact anyway): the older record lets it go.
                Vacate(owner, imei);
                _byImei[owned] = record;
                continue;
            }

            for (var slot = HashImei(imei) & mask; ; slot = (slot + 1) & mask)
            {
                if (_byImei[slot] == Empty)
                {
                    _byImei[slot] = record;
                    _imeiSlotsUsed++;
                    ImeiCount++;
                    break;
                }
            }
        }
    }

    // Room for one more record of `size` bytes and `imeis` IMEIs: grows the arena, or rebuilds it and the tables
    // (dropping removed records and deleted slots) when a table would pass ¾ or removed records are a third of the arena.
    private void EnsureRoom(int size, int imeis)
    {
        var tablesFull = (_idSlotsUsed + 1) * 4L > _byId.Length * 3L || (_imeiSlotsUsed + imeis) * 4L > _byImei.Length * 3L;
        var wasteful = _garbage > 1 << 20 && _garbage * 3L > _used;
        if (tablesFull || wasteful)
        {
            Rebuild(size, imeis);
        }
        else if (_used + size > _arena.Length)
        {
            var grown = new byte[(int)Math.Min(Array.MaxLength, Math.Max(_used + size, _arena.Length * 2L))];
            _arena.AsSpan(0, _used).CopyTo(grown);
            _arena = grown;
        }
    }

    private void Rebuild(int size, int imeis)
    {
        var old = _arena;
        var oldUsed = _used;
        var live = oldUsed - _garbage;
        var arena = new byte[(int)Math.Min(Array.MaxLength, Math.Max(4096L, (live + size) * 3L / 2))];
        (_arena, _used, _garbage) = (arena, 1, 0);
        var devices = Count + 1L;
        var imeiCount = ImeiCount + imeis;
        // Room for half as many again: a table is at most half full after a rebuild, never less than a quarter.
        _byId = new int[TableSize(devices * 3 / 2)];
        _byImei = new int[TableSize(imeiCount * 3 / 2)];
        (_idSlotsUsed, _imeiSlotsUsed, Count, ImeiCount) = (0, 0, 0, 0);
        for (var at = 1; at < oldUsed;)
        {
            var recordSize = RecordSizeIn(old, at);
            if ((BinaryPrimitives.ReadUInt16LittleEndian(old.AsSpan(at)) & Removed) == 0)
            {
                var record = _used;
                old.AsSpan(at, recordSize).CopyTo(_arena.AsSpan(record));
                _used += recordSize;
                InsertLocked(record, takeOver: false); // the live records are consistent: no lookup needed
            }

            at += recordSize;
        }
    }

    private int FindById(ReadOnlySpan<byte> id, out int slot)
    {
        var mask = _byId.Length - 1;
        for (slot = HashId(id) & mask; ; slot = (slot + 1) & mask)
        {
            var record = _byId[slot];
            if (record == Empty)
            {
                return 0;
            }

            if (record != Deleted && IdOf(record).SequenceEqual(id))
            {
                return record;
            }
        }
    }

    private int FindByImei(long imei, out int slot)
    {
        var mask = _byImei.Length - 1;
        for (slot = HashImei(imei) & mask; ; slot = (slot + 1) & mask)
        {
            var record = _byImei[slot];
            if (record == Empty)
            {
                return 0;
            }

            if (record != Deleted && Holds(record, imei))
            {
                return record;
            }
        }
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
        var length = BinaryPrimitives.ReadUInt16LittleEndian(_arena.AsSpan(record)) & ~Removed;
        var imeis = _arena.AsSpan(record + 3 + length, _arena[record + 2 + length] * ImeiBytes);
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

    private ReadOnlySpan<byte> IdOf(int record) => _arena.AsSpan(record + 2, BinaryPrimitives.ReadUInt16LittleEndian(_arena.AsSpan(record)) & ~Removed);

    private ReadOnlySpan<byte> ImeiSpan(int record)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(_arena.AsSpan(record)) & ~Removed;
        return _arena.AsSpan(record + 3 + length, _arena[record + 2 + length] * ImeiBytes);
    }

    private int RecordSize(int record) => RecordSizeIn(_arena, record);

    private static int RecordSizeIn(ReadOnlySpan<byte> arena, int record)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(arena[record..]) & ~Removed;
        return 2 + length + 1 + (arena[record + 2 + length] * ImeiBytes);
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
        if ((ulong)imei > Vacated)
        {
            throw new ArgumentOutOfRangeException(nameof(imei), "An IMEI key does not fit 7 bytes.");
        }

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
