using System.Globalization;

namespace ImeiEir.Cli;

/// <summary>A command, positional arguments and <c>--name value</c> options.</summary>
internal sealed class CliArgs
{
    private readonly List<string> _positional = [];
    private readonly Dictionary<string, string> _named = new(StringComparer.Ordinal);

    public string? Command { get; private set; }

    public string Server => Get("server") ?? Environment.GetEnvironmentVariable("EIR_SERVER") ?? "http://127.0.0.1:5080";

    public string? Key => Get("key") ?? Environment.GetEnvironmentVariable("EIR_KEY");

    public static CliArgs Parse(string[] args)
    {
        var a = new CliArgs();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Length > 2 && i + 1 < args.Length)
            {
                a._named[args[i][2..]] = args[++i];
            }
            else if (a.Command is null)
            {
                a.Command = args[i];
            }
            else
            {
                a._positional.Add(args[i]);
            }
        }

        return a;
    }

    public string? Get(string name) => _named.TryGetValue(name, out var v) ? v : null;

    public string Required(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required");

    public string Positional(int i, string name) => i < _positional.Count ? _positional[i] : throw new ArgumentException($"<{name}> is required");

    public int Int(string name, int fallback)
    {
        var v = Get(name);
        if (v is null)
        {
            return fallback;
        }

        return int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"--{name} must be a positive number");
    }
}
