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
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : "redis-cli")
        {
            ArgumentList = { "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--scan", "--pattern", pattern },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        return p.ExitCode == 0 ? lines.Length : 0;
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
