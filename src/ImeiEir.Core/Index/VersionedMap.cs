using System.Numerics;
using System.Runtime.CompilerServices;

namespace ImeiEir.Core.Index;

/// <summary>
/// The changes to one kind of key since the snapshot: an append-only, multi-version open-addressing hash map with
/// one writer and lock-free readers. An entry is (key, sequence, value); a reader at sequence S sees, for a key,
/// the entry appended last among those with sequence ≤ S. The writer appends a batch's entries with the batch's
/// sequence before it publishes the view of that sequence, so a published view never changes under its readers —
/// and no batch copies what earlier batches wrote (a copy per batch was most of the sync path's garbage).
/// </summary>
/// <remarks>
/// Linear probing, load factor at most 1/2, never a removal: a removed key is an entry whose value says so. The
/// entries of one key lie on its probe path in the order they were appended, so the last visible one found is the
/// newest. A slot is published by writing its key last (<see cref="Volatile.Write(ref long, long)"/>); a reader
/// reads the key first. When full, the writer moves the newest entry of every key to a larger map, which the next
/// view references; views already published keep the old map, which is no longer written.
/// </remarks>
internal sealed class VersionedMap<T>
{
    private const int MinimumCapacity = 16;

    // Key + 1, so that 0 marks an empty slot (key 0 is a valid IMEI: the null IMEI).
    private readonly long[] _keys;
    private readonly long[] _sequences;
    private readonly T[] _values;

    // Slots in the order they were filled, so the writer can take back a batch it could not finish.
    private readonly int[] _appended;
    private readonly int _shift;
    private int _count;

    public VersionedMap(int capacity = MinimumCapacity)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinimumCapacity, capacity));
        _keys = new long[size];
        _sequences = new long[size];
        _values = new T[size];
        _appended = new int[size];
        _shift = 64 - BitOperations.Log2((uint)size);
    }

    /// <summary>Entries appended (every version of every key).</summary>
    public int Count => Volatile.Read(ref _count);

    public int Capacity => _keys.Length;

    /// <summary>Whether <paramref name="more"/> entries fit within the load factor.</summary>
    public bool HasRoomFor(int more) => ((long)_count + more) * 2 <= _keys.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> _shift);

    /// <summary>The newest value of <paramref name="key"/> among the entries with sequence ≤ <paramref name="atSequence"/>.</summary>
    public bool TryGet(long key, long atSequence, out T value)
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var stored = key + 1;
        var found = -1;
        for (var i = Home(key); ; i = (i + 1) & mask)
        {
            var k = Volatile.Read(ref keys[i]);
            if (k == 0)
            {
                break;
            }

            if (k == stored && _sequences[i] <= atSequence)
            {
                found = i;
            }
        }

        if (found < 0)
        {
            value = default!;
            return false;
        }

        value = _values[found];
        return true;
    }

    /// <summary>Appends an entry (writer only). The caller keeps the load factor (<see cref="HasRoomFor"/>).</summary>
    public void Add(long key, long sequence, T value)
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var i = Home(key);
        while (keys[i] != 0)
        {
            i = (i + 1) & mask;
        }

        _values[i] = value;
        _sequences[i] = sequence;
        _appended[_count] = i;
        Volatile.Write(ref keys[i], key + 1);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>
    /// Removes the entries appended after the first <paramref name="count"/> (writer only; they must belong to a
    /// sequence no published view has). Newest first: each freed slot was empty when its entry was appended, and
    /// every entry placed past it on a probe path came later and is already gone, so the map is as it was.
    /// </summary>
    public void TruncateTo(int count)
    {
        for (var n = _count - 1; n >= count; n--)
        {
            var i = _appended[n];
            Volatile.Write(ref _keys[i], 0);
            _values[i] = default!;
        }

        Volatile.Write(ref _count, Math.Min(_count, count));
    }

    /// <summary>A larger map holding the newest entry of every key, with room for <paramref name="more"/> (writer only).</summary>
    /// <remarks>
    /// The entries are copied in the order they were appended, each one replacing the entry of its key already copied:
    /// the newest stays, with no dictionary on the way (a growth of a large overlay would fill one of the same size).
    /// </remarks>
    public VersionedMap<T> Grown(int more)
    {
        var grown = new VersionedMap<T>((int)Math.Min(1 << 30, 4L * ((long)DistinctKeys() + more)));
        for (var n = 0; n < _count; n++)
        {
            var i = _appended[n];
            grown.Put(_keys[i] - 1, _sequences[i], _values[i]);
        }

        return grown;
    }

    // Keys with an entry: a slot holds its key's newest entry when no later slot of its probe path (up to an empty
    // one) holds the same key. The probe paths are short (load factor at most 1/2).
    private int DistinctKeys()
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var distinct = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var k = keys[i];
            if (k == 0)
            {
                continue;
            }

            var newest = true;
            for (var j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask)
            {
                if (keys[j] == k)
                {
                    newest = false;
                    break;
                }
            }

            distinct += newest ? 1 : 0;
        }

        return distinct;
    }

    // Adds the entry, or replaces the one of its key: only on a map no reader has seen yet (Grown).
    private void Put(long key, long sequence, T value)
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var stored = key + 1;
        var i = Home(key);
        while (keys[i] != 0 && keys[i] != stored)
        {
            i = (i + 1) & mask;
        }

        _values[i] = value;
        _sequences[i] = sequence;
        if (keys[i] == 0)
        {
            keys[i] = stored;
            _appended[_count++] = i;
        }
    }

    /// <summary>
    /// The newest value of every key among the entries with sequence ≤ <paramref name="sequence"/>, keys ascending
    /// (writer only: compaction). One sort of the entries, no dictionary: the compaction walks them in key order anyway.
    /// </summary>
    public SortedChanges<T> Latest(long sequence)
    {
        var count = _count;
        var keys = new long[count];
        var order = new int[count];
        var n = 0;
        for (var a = 0; a < count; a++)
        {
            var i = _appended[a];
            if (_sequences[i] <= sequence)
            {
                keys[n] = _keys[i] - 1;
                order[n] = a;
                n++;
            }
        }

        // By key; among a key's entries the one appended last (the largest order) is its newest.
        Array.Sort(keys, order, 0, n);
        var distinct = 0;
        for (var j = 0; j < n; j++)
        {
            if (distinct > 0 && keys[distinct - 1] == keys[j])
            {
                order[distinct - 1] = Math.Max(order[distinct - 1], order[j]);
                continue;
            }

            keys[distinct] = keys[j];
            order[distinct] = order[j];
            distinct++;
        }

        var values = new T[distinct];
        for (var j = 0; j < distinct; j++)
        {
            values[j] = _values[_appended[order[j]]];
        }

        Array.Resize(ref keys, distinct);
        return new SortedChanges<T>(keys, values);
    }
}

/// <summary>The newest value of each changed key, keys strictly ascending (<see cref="VersionedMap{T}.Latest"/>).</summary>
internal readonly record struct SortedChanges<T>(long[] Keys, T[] Values)
{
    public int Count => Keys.Length;
}
