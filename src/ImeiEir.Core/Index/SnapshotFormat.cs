using System.Buffers.Binary;

namespace ImeiEir.Core.Index;

/// <summary>
/// A compact, layout-independent binary form of a snapshot, for checkpoints: keys ascending as varint deltas
/// (clustered IMEIs take one or two bytes each), values as varints. Version-tagged; a reader refuses what it
/// does not know.
/// </summary>
public static class SnapshotFormat
{
    private const ulong Magic = 0x3150414E53524945; // "EIRSNAP1" little-endian

    public static void Write(Stream output, EirSnapshot snapshot, long sequence)
    {
        var w = new VarintWriter(output);
        w.WriteFixed(Magic);
        w.WriteFixed((ulong)sequence);
        WriteSet(w, snapshot.Registered);
        WriteSet(w, snapshot.Stolen);

        w.Write((ulong)snapshot.Bindings.ImeiCount);
        long prev = 0;
        foreach (var (imei, records) in snapshot.Bindings.Entries())
        {
            w.Write((ulong)(imei - prev));
            prev = imei;
            w.Write((ulong)records.Length);
            foreach (var r in records)
            {
                w.Write((ulong)r.Msisdn);
                w.Write((ulong)r.Imsi);
            }
        }

        w.Write((ulong)snapshot.Subscribers.Count);
        prev = 0;
        foreach (var (imsi, msisdn) in snapshot.Subscribers.Entries())
        {
            w.Write((ulong)(imsi - prev));
            prev = imsi;
            w.Write((ulong)msisdn);
        }

        w.Flush();
    }

    public static EirSnapshot Read(Stream input, out long sequence)
    {
        var r = new VarintReader(input);
        if (r.ReadFixed() != Magic)
        {
            throw new InvalidDataException("Not an ImeiEir snapshot (bad magic or unknown version).");
        }

        sequence = (long)r.ReadFixed();
        var registered = ReadSet(r);
        var stolen = ReadSet(r);
        var bindings = BindingTable.Build(ReadBindings(r, (long)r.Read()));
        var subscribers = SubscriberTable.Build(ReadSubscribers(r, (long)r.Read()));
        return new EirSnapshot(registered, stolen, bindings, subscribers);
    }

    private static void WriteSet(VarintWriter w, CompactKeySet set)
    {
        w.Write((ulong)set.Count);
        long prev = 0;
        foreach (var block in set.KeyBlocks())
        {
            foreach (var k in block)
            {
                w.Write((ulong)(k - prev));
                prev = k;
            }
        }
    }

    private static CompactKeySet ReadSet(VarintReader r)
    {
        var count = (long)r.Read();
        var b = new CompactKeySet.Builder();
        long key = 0;
        for (long i = 0; i < count; i++)
        {
            key += (long)r.Read();
            b.Add(key);
        }

        return b.Build();
    }

    private static IEnumerable<(long, BindingRecord[])> ReadBindings(VarintReader r, long count)
    {
        long imei = 0;
        for (long i = 0; i < count; i++)
        {
            imei += (long)r.Read();
            var records = new BindingRecord[(int)r.Read()];
            for (var j = 0; j < records.Length; j++)
            {
                records[j] = new BindingRecord((long)r.Read(), (long)r.Read());
            }

            yield return (imei, records);
        }
    }

    private static IEnumerable<(long, long)> ReadSubscribers(VarintReader r, long count)
    {
        long imsi = 0;
        for (long i = 0; i < count; i++)
        {
            imsi += (long)r.Read();
            yield return (imsi, (long)r.Read());
        }
    }

    private sealed class VarintWriter(Stream output)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;

        public void Write(ulong v)
        {
            if (_used > _buffer.Length - 10)
            {
                Flush();
            }

            while (v >= 0x80)
            {
                _buffer[_used++] = (byte)(v | 0x80);
                v >>= 7;
            }

            _buffer[_used++] = (byte)v;
        }

        public void WriteFixed(ulong v)
        {
            if (_used > _buffer.Length - 8)
            {
                Flush();
            }

            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_used), v);
            _used += 8;
        }

        public void Flush()
        {
            output.Write(_buffer, 0, _used);
            _used = 0;
        }
    }

    private sealed class VarintReader(Stream input)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _pos;
        private int _end;

        private byte Next()
        {
            if (_pos == _end)
            {
                _end = input.Read(_buffer, 0, _buffer.Length);
                _pos = 0;
                if (_end == 0)
                {
                    throw new InvalidDataException("Snapshot is truncated.");
                }
            }

            return _buffer[_pos++];
        }

        public ulong Read()
        {
            ulong v = 0;
            var shift = 0;
            while (true)
            {
                var b = Next();
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return v;
                }

                shift += 7;
                if (shift > 63)
                {
                    throw new InvalidDataException("Snapshot has a malformed number.");
                }
            }
        }

        public ulong ReadFixed()
        {
            Span<byte> b = stackalloc byte[8];
            for (var i = 0; i < 8; i++)
            {
                b[i] = Next();
            }

            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
    }
}
