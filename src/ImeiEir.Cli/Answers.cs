using System.Globalization;
using Google.Protobuf;
using ImeiEir.Contracts.V1;
using Spectre.Console;

namespace ImeiEir.Cli;

/// <summary>
/// How the answers of <c>check</c>, <c>status</c>, <c>device</c> and <c>switch</c> are printed: for a person (one line,
/// or a table where there are several figures; colours only on a terminal), or with <c>--json</c> as the reply in
/// protobuf JSON on one line, every field present (zeros and false too), for scripts.
/// </summary>
internal static class Answers
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static void Json(EirConsole console, IMessage reply) => console.Out.WriteLine(Formatter.Format(reply));

    /// <summary><c>Allow Whitelisted Registered (sequence 3)</c>; the verdict green or red on a terminal.</summary>
    public static void Check(EirConsole console, CheckResponse r)
    {
        var rest = $"{r.EquipmentStatus} {r.Reason}{(r.GraceExpiresAt is null ? "" : " grace until " + Time(r.GraceExpiresAt))} (sequence {r.Sequence})";
        if (console.Ansi.Profile.Capabilities.Ansi)
        {
            console.Ansi.MarkupLineInterpolated($"[bold {(r.Verdict == Verdict.Allow ? "green" : "red")}]{r.Verdict}[/] {rest}");
        }
        else
        {
            console.Out.WriteLine($"{r.Verdict} {rest}");
        }
    }

    public static void Status(EirConsole console, SyncState s) => console.Ansi.Write(Fields(
        ("sequence", Number(s.Sequence)),
        ("registered IMEIs", Number(s.RegisteredImeis)),
        ("bindings", Number(s.Bindings)),
        ("stolen", Number(s.StolenImeis)),
        ("subscribers", Number(s.Subscribers)),
        ("last applied", s.LastAppliedAt is null ? "never" : Time(s.LastAppliedAt))));

    public static void Device(EirConsole console, string imei, DeviceStatusResponse d)
    {
        var bound = d.BoundNumbers.ToString(CultureInfo.InvariantCulture);
        if (d.BoundNumbersMasked.Count > 0)
        {
            // The node lists at most 10.
            bound += (d.BoundNumbersMasked.Count < d.BoundNumbers ? $" ({d.BoundNumbersMasked.Count} shown): " : ": ") + string.Join(", ", d.BoundNumbersMasked);
        }

        console.Ansi.Write(Fields(
            ("IMEI", imei),
            ("registered", d.Registered ? (d.DeviceId.Length > 0 ? $"yes (device {d.DeviceId})" : "yes") : "no"),
            ("stolen", d.Stolen ? "YES" : "no"),
            ("bound numbers", bound)));
    }

    public static void Switch(EirConsole console, SwitchNumberResponse sw)
        => console.Out.WriteLine($"switched {string.Join(", ", sw.SwitchedImeis)} (sequence {sw.Sequence})");

    /// <summary>A two-column table of names and values; values are text, never markup (a device id may hold '[').</summary>
    private static Table Fields(params (string Name, string Value)[] rows)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value");
        foreach (var (name, value) in rows)
        {
            table.AddRow(new Text(name), new Text(value));
        }

        return table;
    }

    private static string Number(ulong n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp t) => t.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture);
}
