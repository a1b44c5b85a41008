namespace ImeiEir.Server.Security;

/// <summary>
/// A value loaded from a file (a CA bundle, an NRF's signing key) and loaded again when the file changes, so keys and
/// certificates are rotated by replacing files, without a restart. The file's time and length are looked at no more
/// than every <see cref="CheckEvery"/>; a file that no longer loads (half written, deleted) keeps the last good value.
/// Readers take one reference and never block on I/O except the one caller that finds the interval has passed.
/// </summary>
internal sealed class WatchedFile<T> where T : class
{
    /// <summary>How often the file is looked at (rotation takes effect within this, well inside the 10 s promised).</summary>
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);

    private readonly Func<string, T> _load;
    private readonly TimeProvider _time;
    private readonly Lock _reload = new();
    private T _value;
    private (DateTime Written, long Length) _stamp;
    private long _nextCheck;

    public WatchedFile(string path, Func<string, T> load, TimeProvider time)
    {
        Path = path;
        _load = load;
        _time = time;
        _stamp = Stamp(path);
        _value = load(path); // at start a bad file is an error the operator must see at once
        _nextCheck = time.GetTimestamp() + Ticks(CheckEvery);
    }

    public string Path { get; }

    /// <summary>Raised (on the reading thread) after the file was loaded again; the argument is null on success, else why not.</summary>
    public event Action<WatchedFile<T>, Exception?>? Reloaded;

    public T Current
    {
        get
        {
            if (_time.GetTimestamp() >= Volatile.Read(ref _nextCheck))
            {
                Refresh();
            }

            return Volatile.Read(ref _value);
        }
    }

    private void Refresh()
    {
        if (!_reload.TryEnter())
        {
            return; // another reader is looking; this one uses the current value
        }

        try
        {
            Volatile.Write(ref _nextCheck, _time.GetTimestamp() + Ticks(CheckEvery));
            var stamp = Stamp(Path);
            if (stamp == _stamp)
            {
                return;
            }

            try
            {
                Volatile.Write(ref _value, _load(Path));
                _stamp = stamp;
                Reloaded?.Invoke(this, null);
            }
#pragma warning disable CA1031 // A half-written or removed file must not break the running node: the last good value stays.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Reloaded?.Invoke(this, ex);
            }
        }
        finally
        {
            _reload.Exit();
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
