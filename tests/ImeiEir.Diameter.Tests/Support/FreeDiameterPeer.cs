using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImeiEir.Tests.Shared;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>A peer freeDiameterd keeps a connection to (its <c>ConnectPeer</c>), always at 127.0.0.1.</summary>
internal sealed record FreeDiameterConnectPeer(string Identity, int Port, bool Tls);

/// <summary>
/// A real freeDiameterd (Debian package <c>freediameter</c>, 1.2.1) started by the test with a configuration it writes
/// into a private temporary folder, stopped and removed on dispose. It listens on no port at all (<c>Port = 0</c>,
/// <c>SecPort = 0</c>): 1.2.1 drops a loopback <c>ListenOn</c> and would bind every address, so instead it dials its
/// peers, all on 127.0.0.1. Its output (messages dumped by <c>dbg_msg_dumps.fdx</c>) is kept for assertions and failures.
/// </summary>
internal sealed class FreeDiameterPeer : IAsyncDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(40);
    private static readonly string[] ExecutableCandidates = ["/usr/bin/freeDiameterd", "/usr/sbin/freeDiameterd", "/usr/local/bin/freeDiameterd"];
    private static readonly string[] ExtensionFolders = ["/usr/lib/freeDiameter", "/usr/lib/x86_64-linux-gnu/freeDiameter", "/usr/lib/aarch64-linux-gnu/freeDiameter", "/usr/local/lib/freeDiameter"];

    private readonly Process _process;
    private readonly string _folder;
    private readonly Waitable<string> _lines = new();

    private FreeDiameterPeer(Process process, string folder)
    {
        _process = process;
        _folder = folder;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything freeDiameterd printed so far.</summary>
    public string Output => string.Join('\n', _lines.Entries);

    /// <summary>
    /// Starts freeDiameterd as <paramref name="identity"/> / <paramref name="realm"/>, a relay (its default) that keeps
    /// a connection to each of <paramref name="peers"/>. Its TLS credentials come from <paramref name="pki"/>: 1.2.1 wants
    /// them even when no connection uses TLS, and refuses to start unless the certificate names its identity.
    /// </summary>
    public static FreeDiameterPeer Start(TestPki pki, string identity, string realm, params FreeDiameterConnectPeer[] peers)
    {
        var executable = FindExecutable();
        var extensions = FindExtensions();
        var folder = Path.Combine(Path.GetTempPath(), "imeieir-freediameter-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);

        // What freeDiameter's own make_certs.sh issues: CN = identity, no extended key usage.
        using var credentials = pki.Issue("fd-" + identity, identity, CertificateUsage.None, dnsNames: [identity]);
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"""
            Identity = "{identity}";
            Realm = "{realm}";
            # No listening socket: this peer only dials out (see FreeDiameterPeer).
            Port = 0;
            SecPort = 0;
            No_SCTP;
            No_IPv6;
            # Reconnect soon after a refusal; Tw at its minimum (1.2.1 rejects less than 6 s): a DWR every 4-8 s.
            TcTimer = 1;
            TwTimer = 6;
            TLS_Cred = "{credentials.CertificatePath}", "{credentials.KeyPath}";
            TLS_CA = "{pki.CaPath}";
            # Dump every message sent and received, one line each, so a failing test shows the exchange.
            LoadExtension = "{Path.Combine(extensions, "dbg_msg_dumps.fdx")}" : "0x0040";

            """);
        foreach (var peer in peers)
        {
            // Without No_TLS, 1.2.1 speaks TLS from the first byte to that port (RFC 6733 §2.1); TLS_old_method would
            // be the RFC 3588 in-band upgrade after CER/CEA instead.
            var security = peer.Tls ? "" : " No_TLS;";
            config.Append(CultureInfo.InvariantCulture, $"ConnectPeer = \"{peer.Identity}\" {{ ConnectTo = \"127.0.0.1\"; Port = {peer.Port}; No_SCTP; No_IPv6;{security} }};\n");
        }

        var configPath = Path.Combine(folder, "freeDiameter.conf");
        File.WriteAllText(configPath, config.ToString());
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "-c", configPath },
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("freeDiameterd did not start.");
        return new FreeDiameterPeer(process, folder);
    }

    /// <summary>Waits until a line matching <paramref name="match"/> was printed (else fails with the output).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, string what)
        => _lines.WaitForAsync(match, "freeDiameterd line " + what, WaitLimit, () => Output, () => !_process.HasExited);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Add(line);
        }
    }

    private static string FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(p => Path.Combine(p, "freeDiameterd"))
            .Concat(ExecutableCandidates)
            .FirstOrDefault(File.Exists);
        Assert.True(found is not null,
            "freeDiameterd was not found (PATH, /usr/bin, /usr/sbin). The Diameter interop tests need it: install the Debian package 'freediameter' (apt-get install freediameter; ./test.sh does this).");
        return found;
    }

    private static string FindExtensions()
    {
        var found = ExtensionFolders.FirstOrDefault(f => File.Exists(Path.Combine(f, "dbg_msg_dumps.fdx")));
        Assert.True(found is not null,
            $"freeDiameter's extensions (dbg_msg_dumps.fdx) were not found in {string.Join(", ", ExtensionFolders)}: install the Debian package 'freediameter' (it brings freediameter-extensions).");
        return found;
    }
}
