using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace ImeiEir.Server.Tests.Deploy;

/// <summary>
/// The repository's deployment files as the tests read them: YAML as plain maps and lists (merge keys resolved, as
/// Docker Compose does), the settings the README promises, the metrics the node defines, and the external checkers
/// (node packages of deploy/check, promtool, systemd-analyze), installed here when missing like test.sh does.
/// </summary>
internal static partial class DeployFiles
{
    public static readonly string Root = FindRoot();

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ImeiEir.sln")) && Directory.Exists(System.IO.Path.Combine(dir.FullName, "deploy")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"ImeiEir.sln with deploy/ not found above {AppContext.BaseDirectory}");
    }

    // ---- YAML ------------------------------------------------------------------------------------------------------

    /// <summary>One YAML document (merge keys resolved) as maps, lists and strings.</summary>
    public static Dictionary<object, object> Yaml(string relative)
        => (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize(new MergingParser(new Parser(new StringReader(Read(relative)))))!;

    /// <summary>Every document of a multi-document YAML file.</summary>
    public static List<Dictionary<object, object>> YamlDocuments(string relative)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(Read(relative)));
        var docs = new List<Dictionary<object, object>>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize(parser) is Dictionary<object, object> doc)
            {
                docs.Add(doc);
            }
        }

        return docs;
    }

    public static Dictionary<object, object> Map(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var v) && v is Dictionary<object, object> m ? m : throw new KeyNotFoundException($"no map '{key}'");

    public static Dictionary<object, object>? MapOrNull(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var v) ? v as Dictionary<object, object> : null;

    public static List<object> List(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var v) && v is List<object> l ? l : [];

    public static string? Str(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var v) ? v as string : null;

    public static IEnumerable<Dictionary<object, object>> Maps(this List<object> list) => list.OfType<Dictionary<object, object>>();

    /// <summary>The string pairs of a map (labels, environment, ConfigMap data).</summary>
    public static Dictionary<string, string> Strings(this Dictionary<object, object>? map)
        => map is null ? [] : map.ToDictionary(kv => (string)kv.Key, kv => kv.Value as string ?? "", StringComparer.Ordinal);

    // ---- settings the README promises -----------------------------------------------------------------------------

    private static readonly Lazy<List<Regex>> DocumentedSettings = new(LoadDocumentedSettings);

    /// <summary>
    /// Whether an environment variable names a documented setting: <c>Section__Key</c> is the configuration key
    /// <c>Section:Key</c>, which must be a row of the README's settings table (<c>{i}</c> and <c>{j}</c> standing for
    /// indexes) or of docs/diameter-s13.md's (section Diameter, where the README sends the reader; its lists take
    /// indexes).
    /// </summary>
    public static bool IsDocumentedSetting(string environmentName)
    {
        var key = environmentName.Replace("__", ":", StringComparison.Ordinal);
        return DocumentedSettings.Value.Exists(r => r.IsMatch(key));
    }

    private static List<Regex> LoadDocumentedSettings()
    {
        var keys = new List<string>();
        foreach (var cell in TableFirstCells(Read("README.md"), "## Settings"))
        {
            keys.AddRange(ExpandCell(cell));
        }

        foreach (var cell in TableFirstCells(Read("docs/diameter-s13.md"), "## Settings"))
        {
            foreach (var key in ExpandCell(cell))
            {
                keys.Add("Diameter:" + key);
                keys.Add("Diameter:" + key + ":{i}");
            }
        }

        Assert.True(keys.Count > 30, $"the settings tables were not found ({keys.Count} keys)");
        return keys.ConvertAll(k => new Regex(
            "^" + Regex.Escape(k).Replace(@"\{i}", @"\d+", StringComparison.Ordinal).Replace(@"\{j}", @"\d+", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant));
    }

    /// <summary>First cells of the first table under a heading.</summary>
    private static List<string> TableFirstCells(string markdown, string headingPrefix)
    {
        var cells = new List<string>();
        var inSection = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                if (inSection && cells.Count > 0)
                {
                    break;
                }

                inSection = line.StartsWith(headingPrefix, StringComparison.Ordinal);
                continue;
            }

            if (inSection && line.StartsWith('|') && !line.StartsWith("| key", StringComparison.Ordinal) && !line.StartsWith("|--", StringComparison.Ordinal) && !line.StartsWith("| ---", StringComparison.Ordinal))
            {
                cells.Add(line.Split('|')[1]);
            }
        }

        return cells;
    }

    /// <summary>
    /// <c>`A:B:C` / `D` / `:E`</c> → A:B:C, A:B:D, A:B:E: the names after the first replace its last segment.
    /// </summary>
    private static List<string> ExpandCell(string cell)
    {
        var names = BacktickedRegex().Matches(cell).Select(m => m.Groups[1].Value).ToList();
        if (names.Count == 0)
        {
            return [];
        }

        var first = names[0];
        var stem = first.Contains(':', StringComparison.Ordinal) ? first[..first.LastIndexOf(':')] : "";
        var result = new List<string> { first };
        foreach (var other in names.Skip(1))
        {
            var name = other.TrimStart(':');
            result.Add(stem.Length == 0 ? name : stem + ":" + name);
        }

        return result;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BacktickedRegex();

    // ---- metrics the node defines ---------------------------------------------------------------------------------

    /// <summary>
    /// The Prometheus names of the node's instruments, read from the sources that create them
    /// (<c>meter.CreateX&lt;T&gt;("imeieir.a.b", [callback,] "unit", …)</c>) and named the way the OpenTelemetry
    /// Prometheus exporter names them: dots to underscores, the unit as a suffix (<c>s</c> → <c>_seconds</c>,
    /// <c>By</c> → <c>_bytes</c>, annotations in braces dropped), <c>_total</c> for counters, <c>_bucket</c>/<c>_sum</c>/<c>_count</c>
    /// for histograms. Key: the exported series name; value: the instrument name.
    /// </summary>
    public static Dictionary<string, string> DefinedMetrics(params string[] sources)
    {
        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (Match m in InstrumentRegex().Matches(Read(source)))
            {
                var name = m.Groups["name"].Value;
                var unit = m.Groups["unit"].Value;
                var baseName = name.Replace('.', '_') + unit switch
                {
                    "s" => "_seconds",
                    "By" => "_bytes",
                    _ when unit.Length == 0 || unit.StartsWith('{') => "",
                    _ => "_" + unit,
                };
                switch (m.Groups["kind"].Value)
                {
                    case "Counter" or "ObservableCounter":
                        metrics[baseName + "_total"] = name;
                        break;
                    case "Histogram":
                        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
                        {
                            metrics[baseName + suffix] = name;
                        }

                        break;
                    default:
                        metrics[baseName] = name;
                        break;
                }
            }
        }

        return metrics;
    }

    [GeneratedRegex(@"Create(?<kind>Counter|Histogram|UpDownCounter|ObservableGauge|ObservableCounter|ObservableUpDownCounter|Gauge)(?:<[^>]+>)?\(\s*""(?<name>imeieir\.[^""]+)""\s*,\s*(?:\(\)\s*=>[^,]*,\s*)?""(?<unit>[^""]*)""")]
    private static partial Regex InstrumentRegex();

    /// <summary>The imeieir_* series a PromQL expression reads (label names in selectors and by/without left out).</summary>
    public static List<string> MetricsIn(string promql)
    {
        var bare = GroupingRegex().Replace(SelectorRegex().Replace(promql, ""), "");
        return MetricReferenceRegex().Matches(bare).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"\b(imeieir_[a-z0-9_]+)")]
    private static partial Regex MetricReferenceRegex();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex SelectorRegex();

    [GeneratedRegex(@"\b(by|without)\s*\([^)]*\)")]
    private static partial Regex GroupingRegex();

    // ---- external checkers --------------------------------------------------------------------------------------------

    public sealed record Run(int ExitCode, string Output)
    {
        public override string ToString() => $"exit {ExitCode.ToString(CultureInfo.InvariantCulture)}\n{Output}";
    }

    /// <summary>Runs a program to completion (at most <paramref name="timeout"/>), stdout and stderr together.</summary>
    public static Run Exec(string program, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start");
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }

        process.WaitForExit();
        lock (output)
        {
            return new Run(process.ExitCode, output.ToString());
        }
    }

    public static bool OnPath(string command)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(System.IO.Path.Combine(d, command)));

    private static readonly Lock InstallLock = new();

    /// <summary>Makes sure a file from a Debian package is there, installing the package (as root) when it is not.</summary>
    public static void RequireDebianFile(string path, string package)
    {
        lock (InstallLock)
        {
            if (File.Exists(path))
            {
                return;
            }

            var install = Exec("apt-get", ["install", "-y", "--no-install-recommends", package], timeout: TimeSpan.FromMinutes(8));
            if (install.ExitCode != 0)
            {
                Exec("apt-get", ["update"], timeout: TimeSpan.FromMinutes(5));
                install = Exec("apt-get", ["install", "-y", "--no-install-recommends", package], timeout: TimeSpan.FromMinutes(8));
            }

            Assert.True(File.Exists(path), $"{path} is missing and installing the Debian package {package} failed: {install}");
        }
    }

    private static readonly Lazy<string> CheckPackages = new(() =>
    {
        var dir = PathOf("deploy/check");
        Assert.True(OnPath("node") && OnPath("npm"), "node and npm are needed for the schema checks (Debian/NodeSource package nodejs)");
        if (!File.Exists(System.IO.Path.Combine(dir, "node_modules", ".package-lock.json")))
        {
            var ci = Exec("npm", ["ci", "--no-audit", "--no-fund"], dir, TimeSpan.FromMinutes(5));
            Assert.True(ci.ExitCode == 0, $"npm ci in deploy/check failed: {ci}");
        }

        return dir;
    });

    /// <summary>deploy/check with its node packages installed (npm ci from the committed lock file, once).</summary>
    public static string CheckDirectory => CheckPackages.Value;
}
