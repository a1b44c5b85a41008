using System.Globalization;
using Grpc.Core;
using ImeiEir.Contracts.V1;

namespace ImeiEir.Cli;

/// <summary>
/// <c>eir audit</c>: pages through <c>RegistrySync.GetAudit</c> (docs/audit.md) and prints one line per entry (for a
/// person and for grep), or one protobuf JSON entry per line with <c>--json</c>.
/// </summary>
internal sealed class AuditListing(RegistrySync.RegistrySyncClient client, Metadata headers, EirConsole console)
{
    /// <summary>A time as ISO 8601 (UTC unless an offset is given) or as an age: <c>90m</c>, <c>24h</c>, <c>7d</c>.</summary>
    public static DateTimeOffset ParseTime(string option, string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) && text[^1] is 'm' or 'h' or 'd'
            && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return now - (text[^1] switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => TimeSpan.FromDays(n) });
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        throw new UsageException($"{option} must be a time (ISO 8601, e.g. 2026-12-01T00:00:00Z) or an age (90m, 24h, 7d), got '{text}'");
    }

    /// <summary>Prints up to <paramref name="limit"/> entries matching <paramref name="request"/>; returns how many.</summary>
    public async Task<int> RunAsync(GetAuditRequest request, int limit, bool json, CancellationToken ct)
    {
        var printed = 0;
        request.PageSize = (uint)Math.Min(limit, 1_000);
        while (printed < limit)
        {
            var page = await client.GetAuditAsync(request, headers, cancellationToken: ct);
            foreach (var e in page.Entries)
            {
                if (printed == limit)
                {
                    break;
                }

                if (json)
                {
                    Answers.Json(console, e);
                }
                else
                {
                    console.Out.WriteLine(string.Join(
                        "  ",
                        "#" + e.Sequence.ToString(CultureInfo.InvariantCulture),
                        e.Time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                        Source(e.Source),
                        "client " + (e.Client.Length == 0 ? "-" : e.Client),
                        "from " + (e.SourceAddress.Length == 0 ? "-" : e.SourceAddress),
                        "batch " + e.BatchId,
                        Counts(e.Counts),
                        "node " + e.Node));
                }

                printed++;
            }

            if (page.NextPageToken.Length == 0)
            {
                break;
            }

            request.PageToken = page.NextPageToken;
        }

        if (!json && printed == 0)
        {
            console.Out.WriteLine("no audit entries in that range");
        }

        return printed;
    }

    private static string Source(AuditSource source) => source switch
    {
        AuditSource.Sync => "sync",
        AuditSource.SelfService => "self-service",
        AuditSource.Amnesty => "amnesty",
        _ => "?",
    };

    // "register 3, bind 2": the kinds present, in the proto's order.
    private static string Counts(DeltaCounts c)
    {
        var parts = new List<string>(9);
        void Add(string name, uint n)
        {
            if (n > 0)
            {
                parts.Add(name + " " + n.ToString(CultureInfo.InvariantCulture));
            }
        }

        Add("register", c.RegisterDevice);
        Add("unregister", c.UnregisterDevice);
        Add("bind", c.Bind);
        Add("unbind", c.Unbind);
        Add("stolen", c.ReportStolen);
        Add("clear-stolen", c.ClearStolen);
        Add("subscriber", c.UpsertSubscriber);
        Add("remove-subscriber", c.RemoveSubscriber);
        Add("switch", c.SwitchNumber);
        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }
}
