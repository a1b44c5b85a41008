using SharpFuzz;

namespace ImeiEir.Fuzz;

/// <summary>
/// <c>dotnet ImeiEir.Fuzz.dll &lt;target&gt;</c>: one target in SharpFuzz's loop under afl-fuzz (instrumented build,
/// see fuzz.sh). <c>&lt;target&gt; --replay &lt;dir|file&gt;...</c>: every file through the target in this process, no
/// AFL (corpus and crash replay, with the stack of anything that fails). <c>--write-seeds &lt;corpus dir&gt;</c>: the
/// seeds built with the product's own writers (Diameter messages, JWTs). <c>--list</c>: the targets.
/// </summary>
internal static class Program
{
    /// <summary>Target name → what one input does. Adding a target: one file and one line here.</summary>
    internal static readonly Dictionary<string, Action<ReadOnlySpan<byte>>> Targets = new(StringComparer.Ordinal)
    {
        ["identifiers"] = IdentifiersTarget.Run,
        ["imei"] = ImeiTarget.Run,
        ["imsi"] = ImsiTarget.Run,
        ["msisdn"] = MsisdnTarget.Run,
        ["n5g-query"] = N5gQueryTarget.Run,
        ["diameter"] = DiameterTarget.Run,
        ["credential"] = CredentialTarget.Run,
        ["jwt"] = JwtTarget.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--write-seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }

        if (args.Length == 1 && args[0] == "--list")
        {
            Console.WriteLine(string.Join('\n', Targets.Keys));
            return 0;
        }

        if (args.Length == 0 || !Targets.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine("usage: ImeiEir.Fuzz <target> [--replay <dir|file>...] | --write-seeds <dir> | --list");
            Console.Error.WriteLine("targets: " + string.Join(", ", Targets.Keys));
            return 2;
        }

        if (args.Length >= 3 && args[1] == "--replay")
        {
            return Replay.Run(args[0], target, args.AsSpan(2));
        }

        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: ImeiEir.Fuzz <target> [--replay <dir|file>...]");
            return 2;
        }

        // SharpFuzz's loop: afl-fuzz hands each input over stdin; an exception escaping the action is a crash.
        // Outside afl-fuzz it runs the action once on stdin.
        var input = new MemoryStream();
        Fuzzer.Run(stream =>
        {
            input.SetLength(0);
            stream.CopyTo(input);
            target(input.GetBuffer().AsSpan(0, (int)input.Length));
        });
        return 0;
    }
}
