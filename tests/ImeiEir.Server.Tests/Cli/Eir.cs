using System.Diagnostics;
using ImeiEir.Cli;

namespace ImeiEir.Server.Tests.Cli;

/// <summary>What one run of <c>eir</c> returned and printed.</summary>
public sealed record EirRun(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}\nstdout:\n{Out}\nstderr:\n{Err}";
}

/// <summary>
/// Runs <c>eir</c>: in this process with output captured as when redirected (no ANSI) and a given environment (never
/// the test process's), or as the real program in a child process with stdout and stderr redirected.
/// </summary>
public static class Eir
{
    public static Task<EirRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    public static async Task<EirRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await EirCli.RunAsync(args, EirConsole.Plain(output, error), name => environment.GetValueOrDefault(name));
        return new EirRun(code, output.ToString(), error.ToString());
    }

    public static async Task<EirRun> CancelledAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var code = await EirCli.RunAsync(args, EirConsole.Plain(output, error), _ => null, cancellationToken: cancelled.Token);
        return new EirRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The built <c>eir.dll</c> (copied beside the tests by the project reference) under <c>dotnet</c>.</summary>
    public static async Task<EirRun> ProcessAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "eir.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var name in new[] { "EIR_SERVER", "EIR_KEY", "EIR_CA", "EIR_CERT", "EIR_CERT_KEY", "NO_COLOR" })
        {
            psi.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("eir did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new EirRun(process.ExitCode, await stdout, await stderr);
    }
}
