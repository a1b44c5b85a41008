using System.Globalization;

namespace ImeiEir.LoadTest.Cli;

/// <summary>
/// <c>--name value</c> and <c>--flag</c> options after a subcommand. Every option read is remembered, so a typo
/// (an option nobody read) fails the command instead of being silently ignored.
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    _values[pending] = null;
                }

                var eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    _values[a[2..eq]] = a[(eq + 1)..];
                    pending = null;
                }
                else
                {
                    pending = a[2..];
                }
            }
            else if (pending is not null)
            {
                _values[pending] = a;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{a}' (options are --name value)");
            }
        }

        if (pending is not null)
        {
            _values[pending] = null;
        }
    }

    public bool Has(string name)
    {
        _read.Add(name);
        return _values.ContainsKey(name);
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) && (v is null || v is "true" or "1" or "yes");
    }

    public string Get(string name, string fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) && v is not null ? v : fallback;
    }

    public string Required(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : throw new ArgumentException($"--{name} is required");
    }

    public int Int(string name, int fallback) => (int)Long(name, fallback);

    public long Long(string name, long fallback)
    {
        var s = Get(name, "");
        if (s.Length == 0)
        {
            return fallback;
        }

        // 1_000_000, 1000000, 1e6, 200k, 2m are all accepted.
        s = s.Replace("_", "", StringComparison.Ordinal);
        var mult = 1L;
        if (s.EndsWith('k') || s.EndsWith('K'))
        {
            mult = 1_000;
            s = s[..^1];
        }
        else if (s.EndsWith('m') || s.EndsWith('M'))
        {
            mult = 1_000_000;
            s = s[..^1];
        }

        return (long)(double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) * mult);
    }

    public double Double(string name, double fallback)
    {
        var s = Get(name, "");
        return s.Length == 0 ? fallback : double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>A duration: <c>500ms</c>, <c>10s</c>, <c>2m</c>, or plain seconds.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        var s = Get(name, "");
        if (s.Length == 0)
        {
            return fallback;
        }

        if (s.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(s[..^2], CultureInfo.InvariantCulture));
        }

        if (s.EndsWith("us", StringComparison.Ordinal))
        {
            return TimeSpan.FromMicroseconds(double.Parse(s[..^2], CultureInfo.InvariantCulture));
        }

        if (s.EndsWith('s'))
        {
            return TimeSpan.FromSeconds(double.Parse(s[..^1], CultureInfo.InvariantCulture));
        }

        if (s.EndsWith('m'))
        {
            return TimeSpan.FromMinutes(double.Parse(s[..^1], CultureInfo.InvariantCulture));
        }

        return TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture));
    }

    /// <summary>Fails on any option that no code read (a typo would otherwise change nothing, silently).</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
        }
    }
}
