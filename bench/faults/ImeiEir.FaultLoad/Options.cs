using System.Globalization;

namespace ImeiEir.FaultLoad;

/// <summary><c>--name value</c> options; one nobody asked for is an error (a typo must not be ignored).</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Options(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
            {
                throw new ArgumentException($"expected --name value, got '{name}'");
            }

            _values[name[2..]] = e.Current;
        }
    }

    public string Get(string name, string fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback;
    }

    public string Required(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required");
    }

    public int Int(string name, int fallback)
    {
        var v = Get(name, "");
        return v.Length == 0 ? fallback
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new ArgumentException($"--{name} '{v}' is not a positive whole number");
    }

    /// <summary>A duration as <c>30s</c>, <c>500ms</c>, <c>2m</c>.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        var v = Get(name, "");
        if (v.Length == 0)
        {
            return fallback;
        }

        var (number, unit) = v.EndsWith("ms", StringComparison.Ordinal) ? (v[..^2], 0.001)
            : v.EndsWith('s') ? (v[..^1], 1.0)
            : v.EndsWith('m') ? (v[..^1], 60.0)
            : (v, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0
            ? TimeSpan.FromSeconds(d * unit)
            : throw new ArgumentException($"--{name} '{v}' is not a duration (30s, 500ms, 2m)");
    }

    public string[] List(string name) => Required(name).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Fails on an option no command read.</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
        }
    }
}
