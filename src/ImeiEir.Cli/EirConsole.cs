using Spectre.Console;

namespace ImeiEir.Cli;

/// <summary>
/// Where <c>eir</c> writes. <see cref="Ansi"/> (Spectre) renders tables, colours and the live progress bar on standard
/// output; <see cref="Out"/> is the same stream written raw, for lines a script reads (JSON, plain answers): Spectre
/// wraps text at the console width, which would break a long line. Errors go to <see cref="Error"/>, unstyled.
/// </summary>
internal sealed class EirConsole(IAnsiConsole ansi, TextWriter error)
{
    public IAnsiConsole Ansi { get; } = ansi;

    public TextWriter Out => Ansi.Profile.Out.Writer;

    public TextWriter Error { get; } = error;

    /// <summary>
    /// True when standard output is a terminal that takes ANSI sequences: colours and live progress. Redirected to a
    /// file or a pipe, Spectre detects it and this is false: plain text, progress as lines. The same test as Spectre's
    /// own progress display.
    /// </summary>
    public bool Live => Ansi.Profile.Capabilities.Interactive && Ansi.Profile.Capabilities.Ansi;

    /// <summary>The process's standard output and error, capabilities detected by Spectre (NO_COLOR is honoured).</summary>
    public static EirConsole Standard() => new(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }), Console.Error);

    /// <summary>Plain text into writers, as when redirected: no ANSI, no colours, no animation (tests).</summary>
    public static EirConsole Plain(TextWriter output, TextWriter error) => new(
        AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        }),
        error);
}
