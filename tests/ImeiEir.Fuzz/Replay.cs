namespace ImeiEir.Fuzz;

/// <summary>Runs files through a target in-process, without AFL: corpus replay and crash reproduction.</summary>
internal static class Replay
{
    public static int Run(string name, Action<ReadOnlySpan<byte>> target, ReadOnlySpan<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith("README.txt", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                Console.Error.WriteLine($"{name}: no such file or folder: {path}");
                return 2;
            }
        }

        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
#pragma warning disable CA1031 // Replay reports every failure, whatever its type, as AFL would count it a crash.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed++;
                Console.Error.WriteLine($"CRASH {name} {file}");
                Console.Error.WriteLine(ex.ToString());
            }
        }

        Console.WriteLine($"{name}: {files.Count} inputs replayed, {failed} crashed");
        return failed == 0 ? 0 : 1;
    }
}
