using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using static ImeiEir.Server.Tests.Deploy.DeployFiles;

namespace ImeiEir.Server.Tests.Deploy;

/// <summary>
/// deploy/ checked with what exists here (no Docker engine, no cluster): compose against the Compose specification
/// (dclint) and the topology it must describe, the Kubernetes manifests against the Kubernetes OpenAPI schemas
/// (kubernetes-models, strict about unknown fields) and against each other, Prometheus with promtool, the Grafana
/// dashboard against the metrics the node defines, systemd units with systemd-analyze. Every environment variable
/// that configures a node must be a setting the README documents. The topology itself runs for real with
/// deploy/netns/up.sh (not part of this suite: ~1.5 min).
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private const string Compose = "deploy/compose/compose.yaml";
    private static readonly string[] NodeServices = ["eir1", "eir2", "eir3"];
    private static readonly string[] SentinelServices = ["redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"];

    private static Dictionary<object, object> Services => Yaml(Compose).Map("services");

    // ---- compose ------------------------------------------------------------------------------------------------------

    [Fact]
    public void Compose_Services_AreTheIssuesTopology()
    {
        var names = Services.Keys.Cast<string>().Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(
            new[] { "demo-import", "eir1", "eir2", "eir3", "grafana", "prometheus", "redis-primary", "redis-replica", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3" },
            names);
    }

    [Fact]
    public void Compose_File_PassesTheComposeSpecificationSchemaAndLint()
    {
        var run = Exec("node", [Path.Combine(CheckDirectory, "node_modules", "dclint", "bin", "dclint.cjs"), "-c", "dclint.json", "--max-warnings", "0", "--color", "false", PathOf(Compose)], CheckDirectory);

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public void Compose_EveryLongRunningService_HasAPinnedImageAndAHealthcheck()
    {
        foreach (var (name, value) in Services.Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
        {
            var image = value.Str("image") ?? "";
            Assert.Matches(@"^[a-z0-9./_-]+:[A-Za-z0-9._-]+$", image);
            Assert.DoesNotContain(":latest", image, StringComparison.Ordinal);
            if (name == "demo-import")
            {
                continue; // one-shot
            }

            var test = value.Map("healthcheck").List("test").Cast<string>().ToList();
            Assert.True(test.Count >= 2 && test[0] == "CMD", $"{name}: healthcheck [{string.Join(", ", test)}]");
        }
    }

    [Fact]
    public void Compose_DependsOn_NamesServicesThatCanSatisfyTheCondition()
    {
        var services = Services;
        foreach (var (name, value) in services.Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
        {
            foreach (var (dependency, spec) in (value.MapOrNull("depends_on") ?? []).Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
            {
                Assert.True(services.ContainsKey(dependency), $"{name} depends on unknown {dependency}");
                var condition = spec.Str("condition");
                Assert.Contains(condition, new[] { "service_started", "service_healthy", "service_completed_successfully" });
                if (condition == "service_healthy")
                {
                    Assert.NotNull(((Dictionary<object, object>)services[dependency]).MapOrNull("healthcheck"));
                }
            }
        }

        // Start order: Redis, then the sentinels, then the nodes, then monitoring.
        foreach (var node in NodeServices)
        {
            var deps = ((Dictionary<object, object>)services[node]).Map("depends_on").Keys.Cast<string>();
            Assert.Equal(SentinelServices, deps.Order(StringComparer.Ordinal));
        }

        Assert.Equal(new[] { "redis-primary", "redis-replica" }, ((Dictionary<object, object>)services["redis-sentinel-1"]).Map("depends_on").Keys.Cast<string>());
    }

    [Fact]
    public void Compose_Nodes_ReachRedisThroughTheThreeSentinels_AndWaitForOneReplica()
    {
        var monitored = SentinelMonitor(Read("deploy/compose/redis/sentinel.conf"));
        foreach (var node in NodeServices)
        {
            var env = ((Dictionary<object, object>)Services[node]).MapOrNull("environment").Strings();

            Assert.Equal(
                string.Join(',', SentinelServices.Select(s => s + ":26379")) + ",serviceName=" + monitored.Name,
                env["Redis__Configuration"]);
            Assert.Equal("1", env["Redis__AckReplicas"]);
        }

        Assert.Equal(("redis-primary", "6379", "2"), (monitored.Host, monitored.Port, monitored.Quorum));
        Assert.Contains("replicaof redis-primary 6379", Read("deploy/compose/redis/replica.conf"), StringComparison.Ordinal);
        foreach (var conf in new[] { "primary.conf", "replica.conf" })
        {
            // Durability comes from the one shared file (deploy/redis/redis.conf), mounted where this includes it.
            Assert.StartsWith("include /usr/local/etc/redis/redis.conf", ConfLines(Read("deploy/compose/redis/" + conf))[0], StringComparison.Ordinal);
        }

        var primaryMounts = ((Dictionary<object, object>)Services["redis-primary"]).List("volumes").Cast<string>();
        Assert.Contains("../redis/redis.conf:/usr/local/etc/redis/redis.conf:ro", primaryMounts);
    }

    [Fact]
    public void Compose_Ports_PublishOnLoopbackOnly_ToPortsTheNodesListenOn()
    {
        var hostPorts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in Services.Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
        {
            var env = value.MapOrNull("environment").Strings();
            foreach (var port in value.List("ports").Cast<string>())
            {
                var parts = port.Split(':');
                Assert.True(parts.Length == 3 && parts[0] == "127.0.0.1", $"{name}: {port} is not published on loopback only");
                Assert.True(hostPorts.Add(parts[1]), $"host port {parts[1]} published twice");
                if (NodeServices.Contains(name))
                {
                    var listening = new[] { env["Kestrel__Endpoints__Grpc__Url"], env["Diameter__Listen"] }.Select(PortOf);
                    Assert.Contains(parts[2], listening);
                }
            }
        }

        // Admin endpoints are not published; Prometheus reaches them inside the network.
        Assert.Equal("5081", PortOf(((Dictionary<object, object>)Services["eir1"]).MapOrNull("environment").Strings()["Kestrel__Endpoints__Admin__Url"]));
    }

    [Fact]
    public void Compose_NodeImage_IsBuiltFromTheDockerfile_AndMountedFilesExist()
    {
        foreach (var node in NodeServices)
        {
            var build = ((Dictionary<object, object>)Services[node]).Map("build");
            var context = Path.GetFullPath(Path.Combine(PathOf("deploy/compose"), build.Str("context")!));
            Assert.Equal(Root.TrimEnd('/'), context.TrimEnd('/'));
            Assert.True(File.Exists(Path.Combine(context, build.Str("dockerfile")!)));
        }

        foreach (var (name, value) in Services.Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
        {
            foreach (var source in value.List("volumes").Cast<string>().Select(v => v.Split(':')[0]).Where(s => s.StartsWith('.')))
            {
                var path = Path.Combine(PathOf("deploy/compose"), source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{name} mounts {source}, which does not exist");
            }
        }
    }

    // ---- the node's settings, wherever they are set -------------------------------------------------------------------

    public static TheoryData<string> SettingFiles => new()
    {
        Compose, "deploy/k8s/configmap.yaml", "deploy/k8s/secret.example.yaml", "deploy/k8s/deployment.yaml",
        "deploy/systemd/imeieir.env", "deploy/systemd/tls.conf.example", "deploy/netns/up.sh", "deploy/docker/Dockerfile",
    };

    [Theory]
    [MemberData(nameof(SettingFiles))]
    public void Settings_InADeploymentFile_AreAllDocumentedInTheReadme(string file)
    {
        // Comments may speak of the convention (Section__Key) or show commands: only what is set counts.
        var text = string.Join('\n', Read(file).Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        var names = SettingNameRegex().Matches(text).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(IsDocumentedSetting(n), $"{file}: {n} is not a setting of the README's table (or docs/diameter-s13.md's)"));
    }

    [Fact]
    public void IsDocumentedSetting_KnownAndUnknownNames_AreToldApart()
    {
        Assert.True(IsDocumentedSetting("Auth__Clients__3__Roles__1"));
        Assert.True(IsDocumentedSetting("Kestrel__Endpoints__Grpc__Certificate__KeyPath"));
        Assert.True(IsDocumentedSetting("Diameter__AllowedRealms__0"));
        Assert.False(IsDocumentedSetting("Redis__ConnectionString"));
        Assert.False(IsDocumentedSetting("Auth__Clients__0__Key"));
    }

    // ---- Dockerfile ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_RunsOnAspnetAsNonRoot_WithAReadinessHealthcheck()
    {
        var lines = ConfLines(Read("deploy/docker/Dockerfile"));
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(new[] { "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime" }, froms);
        var runtime = lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)).ToList();
        var user = Assert.Single(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"USER (root|0)\b", user);
        Assert.Contains(runtime, l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal) && l.Contains("eir-probe\", \"/readyz\"", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l == "ENTRYPOINT [\"dotnet\", \"/app/ImeiEir.Server.dll\"]");

        // Every file the build copies from the context exists.
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToArray();
            foreach (var source in parts[..^1])
            {
                Assert.True(File.Exists(PathOf(source)) || Directory.Exists(PathOf(source)), $"{copy}: {source} does not exist");
            }
        }
    }

    [Fact]
    public void Dockerfile_Probe_IsValidBash()
    {
        var run = Exec("bash", ["-n", PathOf("deploy/docker/eir-probe")]);

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    // ---- Prometheus -----------------------------------------------------------------------------------------------------

    [Fact]
    public void Prometheus_Config_PassesPromtool_AndScrapesEveryNodesAdminPort()
    {
        RequireDebianFile("/usr/bin/promtool", "prometheus");

        var run = Exec("promtool", ["check", "config", PathOf("deploy/compose/prometheus/prometheus.yml")]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var job = Assert.Single(Yaml("deploy/compose/prometheus/prometheus.yml").List("scrape_configs").Maps());
        Assert.Equal("/metrics", job.Str("metrics_path"));
        var targets = job.List("static_configs").Maps().SelectMany(c => c.List("targets").Cast<string>());
        Assert.Equal(NodeServices.Select(n => n + ":5081"), targets);
    }

    [Fact]
    public void Prometheus_AlertRules_PassTheirUnitTests_AndUseDefinedMetrics()
    {
        RequireDebianFile("/usr/bin/promtool", "prometheus");

        var run = Exec("promtool", ["test", "rules", "imeieir.rules.test.yml"], PathOf("deploy/compose/prometheus"));

        Assert.True(run.ExitCode == 0, run.ToString());
        var defined = DefinedMetrics("src/ImeiEir.Server/Hosting/EirMetrics.cs", "src/ImeiEir.Diameter/Server/DiameterMetrics.cs");
        var rules = Yaml("deploy/compose/prometheus/imeieir.rules.yml").List("groups").Maps().SelectMany(g => g.List("rules").Maps()).ToList();
        Assert.True(rules.Count >= 5, $"{rules.Count} rules");
        foreach (var metric in rules.SelectMany(r => MetricsIn(r.Str("expr")!)))
        {
            Assert.True(defined.ContainsKey(metric), $"alert rule uses {metric}, which the node does not export");
        }
    }

    // ---- Grafana ----------------------------------------------------------------------------------------------------------

    [Fact]
    public void Dashboard_EveryPanelQuery_UsesMetricsTheNodeDefines_AndChartsEveryOne()
    {
        var defined = DefinedMetrics("src/ImeiEir.Server/Hosting/EirMetrics.cs", "src/ImeiEir.Diameter/Server/DiameterMetrics.cs");
        using var dashboard = JsonDocument.Parse(Read("deploy/compose/grafana/dashboards/imeieir.json"));
        var datasourceUid = Yaml("deploy/compose/grafana/provisioning/datasources/prometheus.yml").List("datasources").Maps().Single().Str("uid");
        var charted = new HashSet<string>(StringComparer.Ordinal);

        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.True(panels.Count >= 10, $"{panels.Count} panels");
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal(datasourceUid, panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel '{title}' has no query");
            foreach (var expr in targets.Select(t => t.GetProperty("expr").GetString()!))
            {
                var used = MetricsIn(expr);
                Assert.True(used.Count > 0 || expr.Contains("dotnet_", StringComparison.Ordinal), $"panel '{title}': {expr} uses no node metric");
                foreach (var metric in used)
                {
                    Assert.True(defined.TryGetValue(metric, out var instrument), $"panel '{title}': {metric} is not exported by the node (defined: {string.Join(", ", defined.Keys)})");
                    charted.Add(instrument!);
                }
            }
        }

        Assert.Equal(defined.Values.Distinct().Order(StringComparer.Ordinal), charted.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DefinedMetrics_NameSeriesAsTheExporterDoes()
    {
        var defined = DefinedMetrics("src/ImeiEir.Server/Hosting/EirMetrics.cs", "src/ImeiEir.Diameter/Server/DiameterMetrics.cs");

        // Names seen on a live node's /metrics (deploy/netns/up.sh, .run/netns/metrics-node1.txt).
        Assert.Equal("imeieir.checks", defined["imeieir_checks_total"]);
        Assert.Equal("imeieir.check.duration", defined["imeieir_check_duration_seconds_bucket"]);
        Assert.Equal("imeieir.index.snapshot_size", defined["imeieir_index_snapshot_size_bytes"]);
        Assert.Equal("imeieir.index.sequence", defined["imeieir_index_sequence"]);
        Assert.Equal("imeieir.diameter.connections", defined["imeieir_diameter_connections"]);
        Assert.Equal("imeieir.diameter.answers", defined["imeieir_diameter_answers_total"]);
    }

    [Fact]
    public void Dashboard_Provisioning_LoadsTheDashboardFolder()
    {
        var provider = Yaml("deploy/compose/grafana/provisioning/dashboards/imeieir.yml").List("providers").Maps().Single();
        var mounts = ((Dictionary<object, object>)Services["grafana"]).List("volumes").Cast<string>();

        Assert.Contains("./grafana/dashboards:" + provider.Map("options").Str("path") + ":ro", mounts);
    }

    // ---- Kubernetes ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Kubernetes_Manifests_ValidateAgainstTheKubernetesOpenApiSchemas()
    {
        var run = Exec("node", [Path.Combine(CheckDirectory, "k8s-validate.mjs"), PathOf("deploy/k8s")], CheckDirectory);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("apps/v1 Deployment imeieir", run.Output, StringComparison.Ordinal);
        Assert.Contains("policy/v1 PodDisruptionBudget imeieir", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_Validator_RefusesATypoAndAWrongType()
    {
        var dir = Directory.CreateTempSubdirectory("imeieir-k8s-").FullName;
        try
        {
            var bad = Read("deploy/k8s/deployment.yaml")
                .Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal)
                .Replace("containerPort: 5081", "containerPort: \"5081\"", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "deployment.yaml"), bad);

            var run = Exec("node", [Path.Combine(CheckDirectory, "k8s-validate.mjs"), dir], CheckDirectory);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("/spec/template/spec/containers/0/readinesProbe: unknown field", run.Output, StringComparison.Ordinal);
            Assert.Contains("/spec/template/spec/containers/0/ports/1/containerPort: must be integer", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static Dictionary<object, object> K8s(string file, string kind, string? name = null)
        => YamlDocuments("deploy/k8s/" + file).Single(d => d.Str("kind") == kind && (name is null || d.Map("metadata").Str("name") == name));

    private static Dictionary<object, object> NodeContainer(Dictionary<object, object> deployment)
        => deployment.Map("spec").Map("template").Map("spec").List("containers").Maps().Single(c => c.Str("name") == "node");

    [Fact]
    public void Kubernetes_Probes_AskTheAdminEndpoint_ReadinessForTheLoadedIndex()
    {
        var container = NodeContainer(K8s("deployment.yaml", "Deployment"));
        var adminPort = container.List("ports").Maps().Single(p => p.Str("name") == "admin").Str("containerPort");
        var settings = K8s("configmap.yaml", "ConfigMap").MapOrNull("data").Strings();

        Assert.Equal(PortOf(settings["Kestrel__Endpoints__Admin__Url"]), adminPort);
        Assert.Equal(PortOf(settings["Kestrel__Endpoints__Grpc__Url"]), container.List("ports").Maps().Single(p => p.Str("name") == "grpc").Str("containerPort"));
        Assert.Equal(PortOf(settings["Diameter__Listen"]), container.List("ports").Maps().Single(p => p.Str("name") == "diameter").Str("containerPort"));
        foreach (var (probe, path) in new[] { ("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz") })
        {
            var get = container.Map(probe).Map("httpGet");
            Assert.Equal((path, "admin"), (get.Str("path"), get.Str("port")));
        }
    }

    [Fact]
    public void Kubernetes_PodDisruptionBudgetAndServices_SelectTheWorkloadsPods_OnItsPorts()
    {
        var deployment = K8s("deployment.yaml", "Deployment");
        var podLabels = deployment.Map("spec").Map("template").Map("metadata").MapOrNull("labels").Strings();
        var selector = deployment.Map("spec").Map("selector").MapOrNull("matchLabels").Strings();
        var portNames = NodeContainer(deployment).List("ports").Maps().Select(p => p.Str("name")).ToHashSet();
        Assert.Equal(3, int.Parse(deployment.Map("spec").Str("replicas")!, CultureInfo.InvariantCulture));
        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));

        var pdb = K8s("pdb.yaml", "PodDisruptionBudget");
        Assert.Equal(selector, pdb.Map("spec").Map("selector").MapOrNull("matchLabels").Strings());
        Assert.Equal("2", pdb.Map("spec").Str("minAvailable"));

        var services = YamlDocuments("deploy/k8s/service.yaml");
        Assert.Equal(new[] { "imeieir", "imeieir-headless" }, services.Select(s => s.Map("metadata").Str("name")));
        foreach (var service in services)
        {
            Assert.All(service.Map("spec").MapOrNull("selector").Strings(), kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
            Assert.All(service.Map("spec").List("ports").Maps(), p => Assert.Contains(p.Str("targetPort"), portNames));
        }

        Assert.Equal("None", services[1].Map("spec").Str("clusterIP")); // per-pod DNS for client-side balancing
    }

    [Fact]
    public void Kubernetes_ReferencedSecretsAndConfigMaps_AreDefined_WithPlaceholdersOnly()
    {
        var deployment = K8s("deployment.yaml", "Deployment");
        var podSpec = deployment.Map("spec").Map("template").Map("spec");
        var container = NodeContainer(deployment);
        var secrets = YamlDocuments("deploy/k8s/secret.example.yaml").Where(d => d.Str("kind") == "Secret").ToDictionary(d => d.Map("metadata").Str("name")!, StringComparer.Ordinal);
        var configMaps = YamlDocuments("deploy/k8s/configmap.yaml").Select(d => d.Map("metadata").Str("name")).ToHashSet();

        var referencedSecrets = container.List("envFrom").Maps().Select(e => e.MapOrNull("secretRef")?.Str("name"))
            .Concat(podSpec.List("volumes").Maps().Select(v => v.MapOrNull("secret")?.Str("secretName"))).OfType<string>().ToList();
        var referencedConfigMaps = container.List("envFrom").Maps().Select(e => e.MapOrNull("configMapRef")?.Str("name")).OfType<string>().ToList();
        Assert.Equal(new[] { "imeieir-auth", "imeieir-tls" }, referencedSecrets.Order(StringComparer.Ordinal));
        Assert.All(referencedSecrets, s => Assert.True(secrets.ContainsKey(s), $"Secret {s} is referenced but not defined"));
        Assert.All(referencedConfigMaps, c => Assert.Contains(c, configMaps));

        // The files the TLS settings name are keys of the mounted Secret.
        var tlsMount = container.List("volumeMounts").Maps().Single(m => m.Str("name") == "tls").Str("mountPath")!;
        var settings = K8s("configmap.yaml", "ConfigMap").MapOrNull("data").Strings();
        var tlsKeys = secrets["imeieir-tls"].MapOrNull("stringData").Strings().Keys;
        foreach (var path in settings.Values.Where(v => v.StartsWith(tlsMount + "/", StringComparison.Ordinal)))
        {
            Assert.Contains(path[(tlsMount.Length + 1)..], tlsKeys);
        }

        // Placeholders, never a key: every value of a key or certificate says REPLACE.
        foreach (var (name, value) in secrets.Values.SelectMany(s => s.MapOrNull("stringData").Strings()))
        {
            if (name.Contains("Sha256", StringComparison.Ordinal) || name.Contains('.', StringComparison.Ordinal))
            {
                Assert.StartsWith("REPLACE", value, StringComparison.Ordinal);
            }
        }

        // kubectl apply -k never applies the placeholder Secrets over real ones.
        var resources = Yaml("deploy/k8s/kustomization.yaml").List("resources").Cast<string>().ToList();
        Assert.DoesNotContain("secret.example.yaml", resources);
        Assert.All(resources, r => Assert.True(File.Exists(PathOf("deploy/k8s/" + r)), r));
    }

    // ---- systemd ---------------------------------------------------------------------------------------------------------

    /// <summary>The units as they are installed: ours, and Debian's redis units with our drop-ins beside them.</summary>
    private static string StageUnits()
    {
        RequireDebianFile("/lib/systemd/system/redis-server.service", "redis-server");
        RequireDebianFile("/lib/systemd/system/redis-sentinel.service", "redis-sentinel");
        var dir = Directory.CreateTempSubdirectory("imeieir-units-").FullName;
        File.Copy(PathOf("deploy/systemd/imeieir.service"), Path.Combine(dir, "imeieir.service"));
        Directory.CreateDirectory(Path.Combine(dir, "imeieir.service.d"));
        File.Copy(PathOf("deploy/systemd/tls.conf.example"), Path.Combine(dir, "imeieir.service.d", "tls.conf"));
        foreach (var unit in new[] { "redis-server.service", "redis-sentinel.service" })
        {
            File.Copy("/lib/systemd/system/" + unit, Path.Combine(dir, unit));
            Directory.CreateDirectory(Path.Combine(dir, unit + ".d"));
            File.Copy(PathOf($"deploy/systemd/{unit}.d/imeieir.conf"), Path.Combine(dir, unit + ".d", "imeieir.conf"));
        }

        return dir;
    }

    [Fact]
    public void Systemd_UnitsAndDropIns_PassSystemdAnalyzeVerify_WithoutAWord()
    {
        Assert.True(OnPath("systemd-analyze"), "systemd-analyze is needed (Debian package systemd)");
        var dir = StageUnits();
        try
        {
            var run = Exec("systemd-analyze", ["verify", "--man=no", .. new[] { "imeieir.service", "redis-server.service", "redis-sentinel.service" }.Select(u => Path.Combine(dir, u))]);

            // Unknown keys, bad values and missing executables are only warnings to verify: any output fails.
            Assert.True(run.ExitCode == 0 && run.Output.Trim().Length == 0, run.ToString());

            File.AppendAllText(Path.Combine(dir, "redis-server.service.d", "imeieir.conf"), "ExecStartt=/bin/true\n");
            var typo = Exec("systemd-analyze", ["verify", "--man=no", Path.Combine(dir, "redis-server.service")]);
            Assert.Contains("Unknown key 'ExecStartt'", typo.Output, StringComparison.Ordinal); // the drop-ins are read
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Systemd_NodeUnit_IsHardened()
    {
        var dir = StageUnits();
        try
        {
            // systemd's own exposure score (0 = locked down, 10 = none); 2.0 and below is "OK".
            var run = Exec("systemd-analyze", ["security", "--offline=yes", "--threshold=20", Path.Combine(dir, "imeieir.service")]);

            Assert.True(run.ExitCode == 0, run.ToString());
            var unit = ConfLines(Read("deploy/systemd/imeieir.service"));
            foreach (var line in new[] { "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ReadOnlyPaths=/opt/imeieir /etc/imeieir", "EnvironmentFile=/etc/imeieir/imeieir.env" })
            {
                Assert.Contains(line, unit);
            }

            Assert.Contains(ConfLines(Read("deploy/systemd/tls.conf.example")), l => l.StartsWith("LoadCredential=grpc.key:", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Systemd_RedisConfigs_IncludeTheSharedDurabilitySettings_AndTheSentinelsMonitorEir()
    {
        Assert.Equal("include /etc/redis/imeieir/redis.conf", ConfLines(Read("deploy/systemd/redis/redis-server.conf"))[0]);
        var sentinel = SentinelMonitor(Read("deploy/systemd/redis/sentinel.conf"));
        Assert.Equal(("eir", "2"), (sentinel.Name, sentinel.Quorum));
        Assert.Contains("serviceName=eir", Read("deploy/systemd/imeieir.env"), StringComparison.Ordinal);
    }

    // ---- network namespaces and secrets ----------------------------------------------------------------------------------

    [Fact]
    public void Netns_Scripts_AreValidBash_AndStayInAPrivateRange()
    {
        foreach (var script in new[] { "deploy/netns/up.sh", "deploy/netns/down.sh", "deploy/netns/topology.sh" })
        {
            var run = Exec("bash", ["-n", PathOf(script)]);
            Assert.True(run.ExitCode == 0, $"{script}: {run}");
        }

        var addresses = Regex.Matches(Read("deploy/netns/topology.sh"), @"\b(\d+\.\d+\.\d+\.\d+)\b").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(addresses);
        Assert.All(addresses, a => Assert.StartsWith("10.77.0.", a, StringComparison.Ordinal));
        Assert.DoesNotContain("default via", Read("deploy/netns/up.sh"), StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_NoFile_HoldsAPrivateKey()
    {
        foreach (var file in Directory.EnumerateFiles(PathOf("deploy"), "*", SearchOption.AllDirectories).Where(f => !f.Contains("/node_modules/", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("PRIVATE KEY-----", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------------

    private static string PortOf(string hostPortOrUrl) => hostPortOrUrl[(hostPortOrUrl.LastIndexOf(':') + 1)..].TrimEnd('/');

    private static List<string> ConfLines(string text)
        => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    private static (string Name, string Host, string Port, string Quorum) SentinelMonitor(string conf)
    {
        var parts = ConfLines(conf).Single(l => l.StartsWith("sentinel monitor ", StringComparison.Ordinal)).Split(' ');
        return (parts[2], parts[3], parts[4], parts[5]);
    }

    [GeneratedRegex(@"\b([A-Z][A-Za-z]+__[A-Za-z0-9_]+?)(?=[=:""\s]|$)", RegexOptions.Multiline)]
    private static partial Regex SettingNameRegex();
}
