using System.Security.Cryptography.X509Certificates;
using ImeiEir.Server.Security;
using ImeiEir.Server.Tests.N5gEir;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Server.Tests.Security;

/// <summary>
/// One node with TLS on its Grpc endpoint, client certificates allowed (and judged against the test CA), clients
/// known by key and by certificate name, and two NRFs' tokens accepted; seeded with <see cref="Ids.Seed"/>. Shared by
/// the tests of a class. Every key and certificate is made at run time.
/// </summary>
public sealed class SecureNode : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public TestPki Pki { get; } = new();

    public TestPki OtherPki { get; } = new("Some Other CA");

    public NrfTokens Tokens { get; private set; } = null!;

    public TestNode Node { get; private set; } = null!;

    public int Port => Node.GrpcPort;

    public X509Certificate2 Ca => Pki.Ca;

    public IssuedCertificate Amf { get; private set; } = null!;

    public IssuedCertificate RegistryByUri { get; private set; } = null!;

    public IssuedCertificate SmscByCn { get; private set; } = null!;

    public IssuedCertificate SanOtherThanCn { get; private set; } = null!;

    public IssuedCertificate Unnamed { get; private set; } = null!;

    public IssuedCertificate Expired { get; private set; } = null!;

    public IssuedCertificate NotYetValid { get; private set; } = null!;

    public IssuedCertificate FromOtherCa { get; private set; } = null!;

    public IssuedCertificate ServerUsageOnly { get; private set; } = null!;

    public const string AmfName = "amf1.core.test";
    public const string RegistryUri = "spiffe://eir.test/registry";
    public const string SmscCn = "smsc.core.test";

    public async Task InitializeAsync()
    {
        var server = Pki.IssueLoopbackServer();
        Amf = Pki.Issue("amf", "amf", CertificateUsage.Client, dnsNames: [AmfName]);
        RegistryByUri = Pki.Issue("registry", "registry", CertificateUsage.Client, uris: [new Uri(RegistryUri)]);
        SmscByCn = Pki.Issue("smsc", SmscCn, CertificateUsage.Client);
        SanOtherThanCn = Pki.Issue("san-other", SmscCn, CertificateUsage.Client, dnsNames: ["other.core.test"]);
        Unnamed = Pki.Issue("unnamed", "nobody", CertificateUsage.Client, dnsNames: ["nobody.core.test"]);
        Expired = Pki.Issue("expired", "amf", CertificateUsage.Client, dnsNames: [AmfName], notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        NotYetValid = Pki.Issue("future", "amf", CertificateUsage.Client, dnsNames: [AmfName], notBefore: DateTimeOffset.UtcNow.AddDays(1), notAfter: DateTimeOffset.UtcNow.AddDays(30));
        FromOtherCa = OtherPki.Issue("other", "amf", CertificateUsage.Client, dnsNames: [AmfName]);
        ServerUsageOnly = Pki.Issue("server-only", "amf", CertificateUsage.Server, dnsNames: [AmfName]);
        Tokens = new NrfTokens(Pki);

        var settings = Tokens.Settings();
        settings["Kestrel:Endpoints:Grpc:ClientCertificateMode"] = "AllowCertificate";
        settings["Auth:ClientCertificates:CaPath"] = Pki.CaPath;
        // Clients 0-3 are TestNode's API-key clients; these are known by certificate only.
        AddCertificateClient(settings, 4, "amf", AmfName, Roles.Check);
        AddCertificateClient(settings, 5, "registry-cert", RegistryUri, Roles.Sync);
        AddCertificateClient(settings, 6, "smsc", SmscCn, Roles.Check);

        await _redis.StartAsync();
        Node = await TestNode.StartAsync(_redis.Configuration, settings, tls: server, trustCa: Pki.Ca);
        var ack = await Node.ApplyOneAsync("secure-seed", Ids.Seed());
        Assert.True(ack.Accepted, ack.Error);
    }

    public static void AddCertificateClient(IDictionary<string, string?> settings, int i, string name, string certificateName, params string[] roles)
    {
        settings[$"Auth:Clients:{i}:Name"] = name;
        settings[$"Auth:Clients:{i}:CertificateNames:0"] = certificateName;
        for (var j = 0; j < roles.Length; j++)
        {
            settings[$"Auth:Clients:{i}:Roles:{j}"] = roles[j];
        }
    }

    public static IssuedCertificateFiles Files(IssuedCertificate c) => new(c.CertificatePath, c.KeyPath);

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await _redis.DisposeAsync();
        Tokens.Dispose();
        Pki.Dispose();
        OtherPki.Dispose();
    }
}
