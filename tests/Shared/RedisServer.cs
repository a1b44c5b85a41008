using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImeiEir.Tests.Shared;

/// <summary>
/// A private, real redis-server for a test: its own loopback port and data folder, AOF on (appendfsync always, so
/// a restart after a stop keeps every acked write), stopped and deleted after. It can be stopped and started again
/// on the same port and data, or started empty.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    // Every server still running when the test process exits is killed, even if a test's cleanup failed.
    private static readonly List<Process> Running = [];

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (Running)
        {
            foreach (var p in Running)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    };

    private Process? _process;

    private readonly string[] _extraArgs;

    public RedisServer(params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Port = FreePort();
        Directory = Path.Combine(Path.GetTempPath(), "imeieir-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public int Port { get; }

    public string Directory { get; }

    public string Configuration => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000";

    /// <summary>TLS only (<c>--port 0 --tls-port</c>) with these files; null: plain TCP. Set before <see cref="StartAsync"/>.</summary>
    public RedisServerTls? Tls { get; init; }

    /// <summary>An ACL file the server loads (<c>--aclfile</c>); null: the default user without password.</summary>
    public string? AclFile { get; init; }

    /// <summary>The user redis-cli authenticates as (<see cref="KeyCount"/>, <see cref="Cli"/>) when the default user is off.</summary>
    public (string User, string Password)? Admin { get; init; }

    public static string Executable => File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Executable)
        {
            ArgumentList =
            {
                "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", Directory,
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--protected-mode", "yes",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Tls is { } tls)
        {
            // The later --port wins: the plain port is closed and the same port number speaks TLS only.
            foreach (var a in new[]
            {
                "--port", "0", "--tls-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tls-cert-file", tls.CertificatePath, "--tls-key-file", tls.KeyPath, "--tls-ca-cert-file", tls.CaPath,
                "--tls-auth-clients", tls.AuthClients,
            })
            {
                psi.ArgumentList.Add(a);
            }
        }

        if (AclFile is not null)
        {
            psi.ArgumentList.Add("--aclfile");
            psi.ArgumentList.Add(AclFile);
        }

        foreach (var a in _extraArgs)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start (is the redis-server package installed?)");
        lock (Running)
        {
            Running.Add(_process);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }

        throw new InvalidOperationException($"redis-server did not listen on {Port}");
    }

    /// <summary>Kills the server (as a crash would); the AOF keeps what was acked.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        if (_process is not null)
        {
            lock (Running)
            {
                Running.Remove(_process);
            }
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>How many keys match a pattern (redis-cli --scan), for tests that wait for a background write.</summary>
    public int KeyCount(string pattern)
    {
        var psi = CliStartInfo("--scan", "--pattern", pattern);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        return p.ExitCode == 0 ? lines.Length : 0;
    }

    /// <summary>
    /// Runs one redis-cli command (over TLS and as <see cref="Admin"/> when those are set) and returns its output lines;
    /// throws when redis-cli fails or the reply is an error.
    /// </summary>
    public async Task<string[]> Cli(params string[] command)
    {
        var psi = CliStartInfo(command);
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var text = await output;
        if (p.ExitCode != 0 || text.StartsWith("ERR ", StringComparison.Ordinal) || text.StartsWith("NOPERM", StringComparison.Ordinal) || text.StartsWith("WRONGPASS", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', command)}: exit {p.ExitCode}: {text} {await error}");
        }

        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private ProcessStartInfo CliStartInfo(params string[] command)
    {
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : "redis-cli")
        {
            ArgumentList = { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Tls is { } tls)
        {
            psi.ArgumentList.Add("--tls");
            psi.ArgumentList.Add("--cacert");
            psi.ArgumentList.Add(tls.CaPath);
            if (tls.CliCertificate is { } cert)
            {
                psi.ArgumentList.Add("--cert");
                psi.ArgumentList.Add(cert.CertificatePath);
                psi.ArgumentList.Add("--key");
                psi.ArgumentList.Add(cert.KeyPath);
            }
        }

        if (Admin is { } admin)
        {
            psi.ArgumentList.Add("--user");
            psi.ArgumentList.Add(admin.User);
            psi.ArgumentList.Add("--pass");
            psi.ArgumentList.Add(admin.Password);
            psi.ArgumentList.Add("--no-auth-warning");
        }

        foreach (var c in command)
        {
            psi.ArgumentList.Add(c);
        }

        return psi;
    }

    /// <summary>Stops and deletes the data, so the next start is an empty Redis.</summary>
    public async Task WipeAsync()
    {
        await StopAsync();
        foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(Directory))
        {
            if (System.IO.Directory.Exists(entry))
            {
                System.IO.Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The TLS files of a <see cref="RedisServer"/>: its certificate and key, the CA it checks client certificates against,
/// <c>tls-auth-clients</c> (<c>no</c>, <c>optional</c>, <c>yes</c>), and the client certificate redis-cli presents.
/// </summary>
public sealed record RedisServerTls(string CertificatePath, string KeyPath, string CaPath, string AuthClients = "no")
{
    public ImeiEir.Tests.Shared.IssuedCertificate? CliCertificate { get; init; }
}
