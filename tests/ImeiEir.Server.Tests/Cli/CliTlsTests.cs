using ImeiEir.Server.Security;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Cli;

/// <summary>
/// A node serving gRPC over TLS with client certificates allowed (judged against the test CA) and mapped to clients by
/// name: "ops" may do everything, "amf" may only check. Every key and certificate is made at run time.
/// </summary>
public sealed class CliTlsNode : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public const string Imei = "35401011000001";
    public const string OpsName = "ops.eir.test";
    public const string AmfName = "amf.eir.test";

    public TestPki Pki { get; } = new("eir CLI Test CA");

    public TestPki OtherPki { get; } = new("Some Other CA");

    public TestNode Node { get; private set; } = null!;

    /// <summary>https://localhost:port (the server certificate names localhost).</summary>
    public string Server => $"https://localhost:{Node.GrpcPort}";

    public IssuedCertificate Ops { get; private set; } = null!;

    public IssuedCertificate Amf { get; private set; } = null!;

    public IssuedCertificate FromOtherCa { get; private set; } = null!;

    /// <summary>The ops certificate and its key in one PEM file.</summary>
    public string OpsCombinedPath { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = Pki.IssueLoopbackServer();
        Ops = Pki.Issue("ops", "ops", CertificateUsage.Client, dnsNames: [OpsName]);
        Amf = Pki.Issue("amf", "amf", CertificateUsage.Client, dnsNames: [AmfName]);
        FromOtherCa = OtherPki.Issue("ops-other", "ops", CertificateUsage.Client, dnsNames: [OpsName]);
        OpsCombinedPath = Path.Combine(Pki.Folder, "ops-combined.pem");
        await File.WriteAllTextAsync(OpsCombinedPath, await File.ReadAllTextAsync(Ops.CertificatePath) + "\n" + await File.ReadAllTextAsync(Ops.KeyPath));

        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:ClientCertificateMode"] = "AllowCertificate",
            ["Auth:ClientCertificates:CaPath"] = Pki.CaPath,
        };
        // Clients 0-3 are TestNode's API-key clients.
        Security.SecureNode.AddCertificateClient(settings, 4, "ops", OpsName, Roles.Check, Roles.Sync, Roles.SelfService);
        Security.SecureNode.AddCertificateClient(settings, 5, "amf", AmfName, Roles.Check);

        await _redis.StartAsync();
        Node = await TestNode.StartAsync(_redis.Configuration, settings, tls: server, trustCa: Pki.Ca);
        var ack = await Node.ApplyOneAsync("cli-tls-seed", D.Register("DEV-1", Imei));
        Assert.True(ack.Accepted, ack.Error);
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await _redis.DisposeAsync();
        Ops.Dispose();
        Amf.Dispose();
        FromOtherCa.Dispose();
        Pki.Dispose();
        OtherPki.Dispose();
    }
}

/// <summary><c>eir</c> against a TLS node: <c>--ca</c> (EIR_CA), <c>--cert</c>/<c>--cert-key</c> (EIR_CERT, EIR_CERT_KEY).</summary>
public sealed class CliTlsTests(CliTlsNode fixture) : IClassFixture<CliTlsNode>
{
    private const string Imei = CliTlsNode.Imei;

    private string[] Trusting => ["--server", fixture.Server, "--ca", fixture.Pki.CaPath];

    [Fact]
    public async Task Check_TrustingThePrivateCa_WithKey_Exits0()
    {
        var run = await Eir.RunAsync(["check", Imei, "--key", TestNode.CheckKey, .. Trusting]);

        Assert.True(run.Code == 0, run.ToString());
        Assert.StartsWith("Allow Whitelisted Registered", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CaFromEnvironment_Exits0()
    {
        var env = new Dictionary<string, string> { ["EIR_SERVER"] = fixture.Server, ["EIR_CA"] = fixture.Pki.CaPath, ["EIR_KEY"] = TestNode.CheckKey };

        var run = await Eir.RunAsync(env, "check", Imei);

        Assert.True(run.Code == 0, run.ToString());
    }

    [Fact]
    public async Task Check_WithoutCa_ServerCertificateNotTrusted_Exits3()
    {
        var run = await Eir.RunAsync("check", Imei, "--key", TestNode.CheckKey, "--server", fixture.Server);

        Assert.True(run.Code == 3, run.ToString());
        Assert.Contains("remote certificate is invalid", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TrustingAnotherCa_Exits3()
    {
        var run = await Eir.RunAsync("check", Imei, "--key", TestNode.CheckKey, "--server", fixture.Server, "--ca", fixture.OtherPki.CaPath);

        Assert.True(run.Code == 3, run.ToString());
        Assert.Contains("certificate", run.Err, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Check_ClientCertificateWithoutKey_Exits0()
    {
        var run = await Eir.RunAsync(["check", Imei, "--cert", fixture.Amf.CertificatePath, "--cert-key", fixture.Amf.KeyPath, .. Trusting]);

        Assert.True(run.Code == 0, run.ToString());
    }

    [Fact]
    public async Task Check_CertificateAndKeyInOneFile_Exits0()
    {
        var run = await Eir.RunAsync(["check", Imei, "--cert", fixture.OpsCombinedPath, .. Trusting]);

        Assert.True(run.Code == 0, run.ToString());
    }

    [Fact]
    public async Task Check_NeitherCertificateNorKey_Unauthenticated_Exits1()
    {
        var run = await Eir.RunAsync(["check", Imei, .. Trusting]);

        Assert.Equal(1, run.Code);
        Assert.StartsWith("Unauthenticated:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CertificateOfAnotherCa_HandshakeRefused_Exits3()
    {
        var run = await Eir.RunAsync(["check", Imei, "--key", TestNode.CheckKey, "--cert", fixture.FromOtherCa.CertificatePath, "--cert-key", fixture.FromOtherCa.KeyPath, .. Trusting]);

        Assert.True(run.Code == 3, run.ToString());
    }

    [Fact]
    public async Task Status_CertificateOfACheckOnlyClient_PermissionDenied_Exits1()
    {
        var run = await Eir.RunAsync(["status", "--cert", fixture.Amf.CertificatePath, "--cert-key", fixture.Amf.KeyPath, .. Trusting]);

        Assert.Equal(1, run.Code);
        Assert.StartsWith("PermissionDenied:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ClientCertificateFromEnvironment_Applies()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "deltas.csv");
        await File.WriteAllLinesAsync(path, ["register,DEV-TLS-1,35409099000001", "stolen,35409099000001,CASE-TLS"]);
        var env = new Dictionary<string, string>
        {
            ["EIR_SERVER"] = fixture.Server,
            ["EIR_CA"] = fixture.Pki.CaPath,
            ["EIR_CERT"] = fixture.Ops.CertificatePath,
            ["EIR_CERT_KEY"] = fixture.Ops.KeyPath,
        };

        var run = await Eir.RunAsync(env, "import", path);

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal(Contracts.V1.Verdict.Deny, (await fixture.Node.CheckAsync("35409099000001")).Verdict);
    }

    [Fact]
    public async Task Check_RealProcessWithTlsFromEnvironment_Exits0()
    {
        var env = new Dictionary<string, string>
        {
            ["EIR_SERVER"] = fixture.Server,
            ["EIR_CA"] = fixture.Pki.CaPath,
            ["EIR_CERT"] = fixture.Amf.CertificatePath,
            ["EIR_CERT_KEY"] = fixture.Amf.KeyPath,
        };

        var run = await Eir.ProcessAsync(env, "check", Imei);

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal("Allow Whitelisted Registered (sequence 1)" + Environment.NewLine, run.Out);
    }

    public enum BadFile
    {
        CertificateMissing,
        CertificateWithoutKey,
        KeyOfAnotherCertificate,
        KeyMissing,
        CaWithoutCertificate,
        CaIsALeaf,
        CaMissing,
    }

    [Theory]
    [InlineData(BadFile.CertificateMissing, "--cert: cannot read")]
    [InlineData(BadFile.CertificateWithoutKey, "--cert: '{cert}' holds no private key; give it with --cert-key")]
    [InlineData(BadFile.KeyOfAnotherCertificate, "--cert-key: '{key}' is not an unencrypted PEM private key of the certificate in '{cert}'")]
    [InlineData(BadFile.KeyMissing, "--cert-key: cannot read")]
    [InlineData(BadFile.CaWithoutCertificate, "--ca: '{ca}' holds no PEM certificate")]
    [InlineData(BadFile.CaIsALeaf, "--ca: '{ca}' holds no root (self-signed) CA certificate")]
    [InlineData(BadFile.CaMissing, "--ca: cannot read")]
    public async Task Import_UnusableTlsFile_Exits2NamingTheOptionAndSendsNothing(BadFile bad, string message)
    {
        using var dir = new TempFolder();
        var deltas = Path.Combine(dir.Path, "deltas.csv");
        await File.WriteAllLinesAsync(deltas, ["register,DEV-BAD,35409099000002"]);
        var missing = Path.Combine(dir.Path, "missing.pem");
        var (ca, cert, key) = bad switch
        {
            BadFile.CertificateMissing => (fixture.Pki.CaPath, missing, fixture.Ops.KeyPath),
            BadFile.CertificateWithoutKey => (fixture.Pki.CaPath, fixture.Ops.CertificatePath, null),
            BadFile.KeyOfAnotherCertificate => (fixture.Pki.CaPath, fixture.Ops.CertificatePath, fixture.Amf.KeyPath),
            BadFile.KeyMissing => (fixture.Pki.CaPath, fixture.Ops.CertificatePath, missing),
            BadFile.CaWithoutCertificate => (fixture.Ops.KeyPath, fixture.Ops.CertificatePath, fixture.Ops.KeyPath),
            BadFile.CaIsALeaf => (fixture.Amf.CertificatePath, fixture.Ops.CertificatePath, fixture.Ops.KeyPath),
            _ => (missing, fixture.Ops.CertificatePath, fixture.Ops.KeyPath),
        };
        var before = (await fixture.Node.SyncStateAsync()).Sequence;
        List<string> args = ["import", deltas, "--server", fixture.Server, "--ca", ca, "--cert", cert];
        if (key is not null)
        {
            args.AddRange(["--cert-key", key]);
        }

        var run = await Eir.RunAsync([.. args]);

        Assert.Equal(2, run.Code);
        Assert.Contains(message.Replace("{cert}", cert, StringComparison.Ordinal).Replace("{key}", key, StringComparison.Ordinal).Replace("{ca}", ca, StringComparison.Ordinal), run.Err, StringComparison.Ordinal);
        Assert.Equal(before, (await fixture.Node.SyncStateAsync()).Sequence);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("imeieir-cli-tls-").FullName;

        public void Dispose() => Directory.Delete(Path, true);
    }
}
