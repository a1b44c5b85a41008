using System.Globalization;
using Google.Protobuf;
using ImeiEir.Contracts.V1;
using Spectre.Console;

namespace ImeiEir.Cli;

/// <summary>
/// How the answers of <c>check</c>, <c>status</c>, <c>device</c>, <c>switch</c>, <c>events</c> and <c>report clones</c> are printed: for a person (one line,
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

    /// <summary>
    /// One event a line: <c>1712-0 stolen_seen 2026-03-02 09:00:00Z imei 35693803564380 msisdn 99670***9999 imsi 43701********01
    /// op 437-01 via grpc node n1</c>; the subscriber's numbers masked (the full ones with --json, for the program that sends the SMS).
    /// </summary>
    public static void Event(EirConsole console, Event e)
    {
        var kind = e.Kind.ToString();
        var snake = string.Concat(kind.Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
        var line = $"{e.Id} {snake} {(e.Time is null ? "-" : Time(e.Time))} imei {e.Imei}";
        if (e.Msisdn.Length > 0)
        {
            line += " msisdn " + Mask(e.Msisdn, 5, 4);
        }

        if (e.Imsi.Length > 0)
        {
            line += " imsi " + Mask(e.Imsi, 5, 2);
        }

        if (e.HomeOperator.Length > 0)
        {
            line += " op " + e.HomeOperator;
        }

        if (e.GraceExpiresAt is not null)
        {
            line += " grace until " + Time(e.GraceExpiresAt);
        }

        console.Out.WriteLine(line + (e.Interface.Length > 0 ? " via " + e.Interface : "") + " node " + e.Node);
    }

    public static void Clones(EirConsole console, ReportClonesResponse r)
    {
        if (r.Suspects.Count == 0)
        {
            console.Out.WriteLine("no IMEI above the clone threshold over the last day");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("IMEI").AddColumn("home IMSIs").AddColumn("last counted");
        foreach (var s in r.Suspects)
        {
            table.AddRow(new Text(s.Imei), new Text(s.DistinctImsis.ToString(CultureInfo.InvariantCulture)), new Text(s.RaisedAt is null ? "-" : Time(s.RaisedAt)));
        }

        console.Ansi.Write(table);
    }

    private static string Mask(string digits, int head, int tail)
        => digits.Length <= head + tail ? new string('*', digits.Length) : string.Concat(digits.AsSpan(0, head), new string('*', digits.Length - head - tail), digits.AsSpan(digits.Length - tail));

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
