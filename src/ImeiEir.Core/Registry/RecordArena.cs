namespace ImeiEir.Core.Registry;

/// <summary>
/// The device directory's records, in fixed pages of <see cref="PageSize"/> bytes: a record never spans pages and its
/// offset is <c>page · PageSize + position</c> (an int: up to <see cref="MaxPages"/> pages, 2 GiB). Growing allocates
/// one page and copies nothing. Removed records' bytes are counted per page; a page (not the one being written) whose
/// garbage passes half of it is queued for evacuation, which the owner does in bounded steps
/// (<see cref="DeviceDirectory"/>) before <see cref="Release"/> gives the page back. Position 0 of every page is never a
/// record, so offset 0 means "no record". Not thread-safe: the owner locks.
/// </summary>
internal sealed class RecordArena
{
    /// <summary>Bytes a page (1 MiB: far above the largest record, 34 553 bytes).</summary>
    public const int PageSize = 1 << PageBits;

    /// <summary>Pages an arena may hold (offsets stay positive ints).</summary>
    public const int MaxPages = 1 << (31 - PageBits);

    private const int PageBits = 20;

    private byte[]?[] _pages = new byte[]?[4];
    private int[] _ends = new int[4]; // each page's first unwritten position
    private int[] _garbage = new int[4];
    private bool[] _queued = new bool[4];
    private bool[] _free = new bool[4];
    private readonly Stack<int> _freePages = new();
    private readonly Queue<int> _evacuation = new();
    private int _current = -1;
    private int _pageCount;

    /// <summary>Bytes held by the pages (a page given back is kept for the next one).</summary>
    public long BytesHeld => (long)_pageCount * PageSize;

    /// <summary>Pages so far (in use or given back): pages are 0 up to this.</summary>
    public int PageCount => _pageCount;

    /// <summary>Room for <paramref name="size"/> bytes: their offset (a new page when the current one cannot hold them).</summary>
    public int Allocate(int size)
    {
        if (_current < 0 || _ends[_current] + size > PageSize)
        {
            StartPage();
        }

        var record = (_current << PageBits) | _ends[_current];
        _ends[_current] += size;
        return record;
    }

    /// <summary>The bytes from <paramref name="record"/> to its page's end.</summary>
    public Span<byte> At(int record) => _pages[record >> PageBits].AsSpan(record & (PageSize - 1));

    /// <summary>The page's written bytes (records from position 1), or empty for a page given back.</summary>
    public ReadOnlySpan<byte> Page(int page) => _free[page] ? [] : _pages[page].AsSpan(0, _ends[page]);

    /// <summary>The offset of position <paramref name="position"/> of <paramref name="page"/>.</summary>
    public static int OffsetOf(int page, int position) => (page << PageBits) | position;

    /// <summary>Counts a removed record's bytes as garbage (its page may become due for evacuation).</summary>
    public void Free(int record, int size)
    {
        var page = record >> PageBits;
        _garbage[page] += size;
        QueueIfWasteful(page);
    }

    /// <summary>The page due for evacuation first, if any.</summary>
    public bool TryPeekEvacuation(out int page) => _evacuation.TryPeek(out page);

    /// <summary>Gives an evacuated page back (its live records all moved); its array is kept for the next page.</summary>
    public void Release(int page)
    {
        _evacuation.Dequeue();
        _queued[page] = false;
        _free[page] = true;
        _freePages.Push(page);
    }

    /// <summary>Bytes the current page still takes (0 before the first page).</summary>
    public int Room => _current < 0 ? 0 : PageSize - _ends[_current];

    /// <summary>Leaves the current page (its remaining room unused): the next allocation is on a new one.</summary>
    public void NextPage() => StartPage();

    private void StartPage()
    {
        if (_current >= 0)
        {
            var left = _current;
            _current = -1;
            QueueIfWasteful(left);
        }

        if (_freePages.TryPop(out var page))
        {
            (_ends[page], _garbage[page], _free[page]) = (1, 0, false);
            _current = page;
            return;
        }

        if (_pageCount == MaxPages)
        {
            throw new InvalidOperationException("The device directory's arena is full (2 GiB).");
        }

        if (_pageCount == _pages.Length)
        {
            Array.Resize(ref _pages, _pages.Length * 2);
            Array.Resize(ref _ends, _pages.Length);
            Array.Resize(ref _garbage, _pages.Length);
            Array.Resize(ref _queued, _pages.Length);
            Array.Resize(ref _free, _pages.Length);
        }

        // No zeroing needed: only written bytes are ever read.
        _pages[_pageCount] = GC.AllocateUninitializedArray<byte>(PageSize);
        _ends[_pageCount] = 1;
        _current = _pageCount++;
    }

    private void QueueIfWasteful(int page)
    {
        if (page != _current && !_queued[page] && _garbage[page] * 2 > _ends[page])
        {
            _queued[page] = true;
            _evacuation.Enqueue(page);
        }
    }
}
