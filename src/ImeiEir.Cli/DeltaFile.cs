using System.Globalization;
using Google.Protobuf;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Cli;

/// <summary>
/// Reads a delta file: JSON lines (one <c>Delta</c> per line in protobuf JSON, e.g.
/// <c>{"bind":{"imei":"35209900176148","msisdn":"996700111111"}}</c>) or CSV (<c>op,arg1,arg2,arg3</c>, see
/// README). Every bad line is reported with its line number; nothing is sent when any line is bad.
/// </summary>
internal static class DeltaFile
{
    public sealed record Line(int Number, Delta Delta);

    public static (List<Line> Deltas, List<string> Errors) Read(string path)
    {
        var deltas = new List<Line>();
        var errors = new List<string>();
        var json = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var text = raw.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            try
            {
                if (json)
                {
                    deltas.Add(new Line(number, JsonParser.Default.Parse<Delta>(text)));
                }
                else if (number == 1 && text.StartsWith("op,", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // header
                }
                else
                {
                    deltas.Add(new Line(number, ParseCsv(text)));
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException or InvalidJsonException)
            {
                errors.Add($"{path}:{number}: {ex.Message}");
            }
        }

        return (deltas, errors);
    }

    private static Delta ParseCsv(string line)
    {
        var f = line.Split(',').Select(s => s.Trim()).ToArray();
        string Arg(int i, string name) => i < f.Length && f[i].Length > 0 ? f[i] : throw new FormatException($"'{f[0]}' needs {name} (column {i + 1})");
        string Opt(int i) => i < f.Length ? f[i] : "";
        var op = f[0].ToLower(CultureInfo.InvariantCulture);
        return op switch
        {
            "register" => Register(Arg(1, "device_id"), Arg(2, "imeis (separated by ;)")),
            "unregister" => new Delta { UnregisterDevice = new UnregisterDevice { DeviceId = Arg(1, "device_id") } },
            "bind" => new Delta { Bind = new Bind { Imei = Arg(1, "imei"), Msisdn = Arg(2, "msisdn"), Imsi = Opt(3) } },
            "unbind" => new Delta { Unbind = new Unbind { Imei = Arg(1, "imei"), Msisdn = Arg(2, "msisdn"), Imsi = Opt(3) } },
            "stolen" => new Delta { ReportStolen = new ReportStolen { Imei = Arg(1, "imei"), CaseReference = Arg(2, "case_reference") } },
            "clear-stolen" => new Delta { ClearStolen = new ClearStolen { Imei = Arg(1, "imei") } },
            "subscriber" => new Delta { UpsertSubscriber = new UpsertSubscriber { Imsi = Arg(1, "imsi"), Msisdn = Arg(2, "msisdn") } },
            "remove-subscriber" => new Delta { RemoveSubscriber = new RemoveSubscriber { Imsi = Arg(1, "imsi") } },
            "switch" => new Delta { SwitchNumber = new SwitchNumberRequest { PreviousMsisdn = Arg(1, "previous_msisdn"), NewMsisdn = Arg(2, "new_msisdn"), Imei = Arg(3, "imei") } },
            _ => throw new FormatException($"unknown operation '{f[0]}' (register, unregister, bind, unbind, stolen, clear-stolen, subscriber, remove-subscriber, switch)"),
        };
    }

    private static Delta Register(string deviceId, string imeis)
    {
        var r = new RegisterDevice { DeviceId = deviceId };
        r.Imeis.AddRange(imeis.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new Delta { RegisterDevice = r };
    }
}
