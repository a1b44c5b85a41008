using System.Globalization;

namespace ImeiEir.DiameterLoad;

/// <summary>Command-line settings (see README.md). Every default is the one printed by <c>--help</c>.</summary>
internal sealed class LoadOptions
{
    /// <summary>Server to load, host:port. Empty: start an in-process server over a generated index.</summary>
    public string Target { get; set; } = "";

    /// <summary>Run only the server (over a generated index) on this host:port until stopped.</summary>
    public string Serve { get; set; } = "";

    public int Connections { get; set; } = 4;

    /// <summary>Requests in flight per connection.</summary>
    public int Window { get; set; } = 64;

    public double DurationSeconds { get; set; } = 10;

    public double WarmupSeconds { get; set; } = 2;

    /// <summary>File with one IMEI (14 or 15 digits) per line. Empty: generated IMEIs.</summary>
    public string ImeiFile { get; set; } = "";

    /// <summary>User-Name sent with every request; empty: none. Default a home IMSI.</summary>
    public string Imsi { get; set; } = "437011234567890";

    /// <summary>Self-hosted server: how many registered IMEIs its index holds.</summary>
    public int Registered { get; set; } = 1_000_000;

    /// <summary>Share of the generated IMEIs that are registered (the rest are unregistered: BLACKLISTED).</summary>
    public double RegisteredShare { get; set; } = 0.9;

    public string OriginHost { get; set; } = "loadgen.test.realm";

    public string OriginRealm { get; set; } = "test.realm";

    public bool Help { get; set; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--target": o.Target = Next(); break;
                case "--serve": o.Serve = Next(); break;
                case "--connections" or "-c": o.Connections = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--window" or "-w": o.Window = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--duration" or "-d": o.DurationSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": o.WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--imeis": o.ImeiFile = Next(); break;
                case "--imsi": o.Imsi = Next(); break;
                case "--registered": o.Registered = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--registered-share": o.RegisteredShare = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--origin-host": o.OriginHost = Next(); break;
                case "--origin-realm": o.OriginRealm = Next(); break;
                case "--help" or "-h": o.Help = true; break;
                default: throw new ArgumentException($"Unknown option {name} (try --help).");
            }
        }

        if (o.Connections < 1 || o.Window < 1 || o.DurationSeconds <= 0 || o.WarmupSeconds < 0)
        {
            throw new ArgumentException("--connections and --window must be at least 1, --duration positive, --warmup not negative.");
        }

        return o;
    }

    public const string Usage = """
        ImeiEir.DiameterLoad: S13 ME-Identity-Check load client.

          --target host:port      server to load (default: an in-process server over a generated index)
          --serve host:port       only run that server (generated index) until Ctrl+C
          -c, --connections N     TCP connections, each opened with CER (default 4)
          -w, --window N          requests in flight per connection (default 64)
          -d, --duration S        measured seconds (default 10)
          --warmup S              unmeasured seconds first (default 2)
          --imeis FILE            one IMEI per line (default: generated, see --registered-share)
          --imsi IMSI             User-Name of every request, '' for none (default 437011234567890)
          --registered N          generated index size (default 1000000)
          --registered-share F    share of generated IMEIs that are registered (default 0.9)
          --origin-host HOST      our Origin-Host in CER (default loadgen.test.realm)
          --origin-realm REALM    our Origin-Realm (default test.realm); the server must allow one of them
        """;
}
