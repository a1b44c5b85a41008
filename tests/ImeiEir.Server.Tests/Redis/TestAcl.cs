using System.Security.Cryptography;
using System.Text;

namespace ImeiEir.Server.Tests.Redis;

/// <summary>
/// The shipped <c>deploy/redis/users.acl</c> made usable for a test: each user's placeholder hash replaced by the
/// SHA-256 of a password generated now, written to a private temporary file (deleted on dispose). Nothing else of the
/// file changes, so a test under it runs with exactly the rights a deployment gets.
/// </summary>
public sealed class TestAcl : IDisposable
{
    /// <summary>The hash every user of the shipped file carries: no password hashes to it, so such a user cannot log in.</summary>
    public const string PlaceholderHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public const string NodeUser = "imeieir-node";
    public const string AdminUser = "imeieir-admin";
    public const string MonitorUser = "imeieir-monitor";
    public const string ReplicaUser = "imeieir-replica";

    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

    public TestAcl()
    {
        Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imeieir-acl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        var lines = File.ReadAllLines(ShippedPath);
        for (var i = 0; i < lines.Length; i++)
        {
            var words = lines[i].Split(' ');
            if (words.Length > 1 && words[0] == "user" && lines[i].Contains(" #" + PlaceholderHash, StringComparison.Ordinal))
            {
                var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                _passwords[words[1]] = password;
                lines[i] = lines[i].Replace(" #" + PlaceholderHash, " #" + Hash(password), StringComparison.Ordinal);
            }
        }

        Path = System.IO.Path.Combine(Folder, "users.acl");
        File.WriteAllLines(Path, lines);
    }

    /// <summary>The ACL file with the generated passwords' hashes.</summary>
    public string Path { get; }

    /// <summary>A private folder for the test's files (password files).</summary>
    public string Folder { get; }

    /// <summary>The shipped file, found above the test binaries.</summary>
    public static string ShippedPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "deploy", "redis", "users.acl");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("deploy/redis/users.acl not found above " + AppContext.BaseDirectory);
        }
    }

    public string PasswordOf(string user) => _passwords[user];

    public (string User, string Password) Admin => (AdminUser, PasswordOf(AdminUser));

    /// <summary>Writes <paramref name="content"/> to a new file in <see cref="Folder"/> and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = System.IO.Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static string Hash(string password) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
