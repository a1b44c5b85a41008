using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grpc.Net.Client;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Server.Tests.Faults;

/// <summary>
/// A node as a process of its own (<c>dotnet ImeiEir.Server.dll</c>, copied beside the tests by the project
/// reference), for faults an in-process <see cref="TestNode"/> cannot suffer: <see cref="Kill"/> is a SIGKILL, nothing
/// of the node runs after it. Same API keys as <see cref="TestNode"/>; its output is kept for the failure message.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly GrpcChannel _channel;

    private NodeProcess(Process process, int grpcPort, int adminPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int GrpcPort { get; }

    public int AdminPort { get; }

    public RegistrySync.RegistrySyncClient Sync => new(_channel);

    /// <summary>What the node wrote so far (for a failing test's message).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a node on <paramref name="redisConfiguration"/> and waits until it is ready.</summary>
    public static async Task<NodeProcess> StartAsync(string redisConfiguration)
    {
        var grpcPort = RedisServer.FreePort();
        var adminPort = RedisServer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ImeiEir.Server.dll"));
        var env = psi.Environment;
        foreach (var name in env.Keys.Where(k => k.StartsWith("Redis__", StringComparison.Ordinal) || k.StartsWith("Kestrel__", StringComparison.Ordinal) || k.StartsWith("Auth__", StringComparison.Ordinal)).ToList())
        {
            env.Remove(name);
        }

        env["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}";
        env["Kestrel__Endpoints__Admin__Url"] = $"http://127.0.0.1:{adminPort}";
        env["Redis__Configuration"] = redisConfiguration;
        env["Redis__FollowPollInterval"] = "00:00:00.200";
        env["Auth__Clients__0__Name"] = "ops";
        env["Auth__Clients__0__KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(TestNode.AllKey)));
        env["Auth__Clients__0__Roles__0"] = "check";
        env["Auth__Clients__0__Roles__1"] = "sync";
        env["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("the node process did not start");
        var node = new NodeProcess(process, grpcPort, adminPort);
        using var http = new HttpClient();
        var ready = await Eventually.ReachAsync(
            async () => process.HasExited ? false : (await http.GetAsync(new Uri($"http://127.0.0.1:{adminPort}/readyz"))).IsSuccessStatusCode,
            ok => ok || process.HasExited,
            TimeSpan.FromSeconds(90));
        if (!ready)
        {
            var output = node.Output;
            await node.DisposeAsync();
            throw new InvalidOperationException("the node process did not become ready:\n" + output);
        }

        return node;
    }

    /// <summary>SIGKILL: the node stops between two instructions, whatever it was doing.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _channel.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"node process {_process.Id} on :{GrpcPort}");
}
