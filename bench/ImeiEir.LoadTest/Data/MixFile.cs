using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImeiEir.DataGen;
using Proto = ImeiEir.Contracts.V1;

namespace ImeiEir.LoadTest.Data;

/// <summary>One line of a request-mix file: the request as a client sends it and the answer a correct node gives.</summary>
internal sealed record MixLine(
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("imei")] string Imei,
    [property: JsonPropertyName("msisdn")] string Msisdn,
    [property: JsonPropertyName("imsi")] string Imsi,
    [property: JsonPropertyName("verdict")] string Verdict,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("invalidField")] string InvalidField);

/// <summary>The expected answer, in proto enums; <see cref="InvalidField"/> non-empty means INVALID_ARGUMENT naming that field.</summary>
internal readonly record struct Expectation(byte Category, Proto.Verdict Verdict, Proto.EquipmentStatus Status, Proto.Reason Reason, string InvalidField)
{
    public bool IsInvalid => InvalidField.Length > 0;

    public bool Matches(Proto.CheckResponse r) => IsInvalid
        ? r.Reason == Proto.Reason.InvalidRequest && r.Error.StartsWith(InvalidField, StringComparison.Ordinal)
        : r.Verdict == Verdict && r.EquipmentStatus == Status && r.Reason == Reason;

    public string Describe() => IsInvalid ? $"INVALID_ARGUMENT({InvalidField})" : $"{Verdict}/{Status}/{Reason}";
}

/// <summary>A loaded request mix: prebuilt proto requests (correlation id = line number) and their expectations.</summary>
internal sealed class RequestMixFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private RequestMixFile(Proto.CheckRequest[] requests, Expectation[] expected)
    {
        Requests = requests;
        Expected = expected;
    }

    public static readonly string[] Categories = Enum.GetNames<RequestCategory>();

    public Proto.CheckRequest[] Requests { get; }

    public Expectation[] Expected { get; }

    public int Length => Requests.Length;

    /// <summary>Writes <paramref name="count"/> requests of <paramref name="mix"/> as JSON lines; returns the count per category.</summary>
    public static long[] Write(string path, RequestMix mix, int count)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var perCategory = new long[Categories.Length];
        using var w = new StreamWriter(path);
        foreach (var r in mix.Generate(count))
        {
            perCategory[(int)r.Category]++;
            var e = r.Expected;
            var line = new MixLine(
                r.Category.ToString(),
                r.Imei,
                r.Msisdn,
                r.Imsi,
                ((Proto.Verdict)(int)e.Verdict).ToString(),
                ((Proto.EquipmentStatus)(int)e.Status).ToString(),
                ((Proto.Reason)(int)e.Reason).ToString(),
                e.IsError ? e.InvalidField.ToString().ToLowerInvariant() : "");
            w.WriteLine(JsonSerializer.Serialize(line, Json));
        }

        return perCategory;
    }

    public static RequestMixFile Read(string path, int limit = int.MaxValue)
    {
        var requests = new List<Proto.CheckRequest>();
        var expected = new List<Expectation>();
        foreach (var text in File.ReadLines(path))
        {
            if (requests.Count >= limit)
            {
                break;
            }

            if (text.Length == 0)
            {
                continue;
            }

            var line = JsonSerializer.Deserialize<MixLine>(text, Json) ?? throw new FormatException($"{path}: bad line {requests.Count + 1}");
            requests.Add(new Proto.CheckRequest { Imei = line.Imei, Msisdn = line.Msisdn, Imsi = line.Imsi, CorrelationId = (ulong)requests.Count });
            expected.Add(new Expectation(
                (byte)Enum.Parse<RequestCategory>(line.Category),
                Enum.Parse<Proto.Verdict>(line.Verdict),
                Enum.Parse<Proto.EquipmentStatus>(line.Status),
                Enum.Parse<Proto.Reason>(line.Reason),
                line.InvalidField));
        }

        if (requests.Count == 0)
        {
            throw new FormatException($"{path} holds no requests");
        }

        return new RequestMixFile([.. requests], [.. expected]);
    }

    /// <summary>Parses <c>registered=0.7,bound=0.1,...</c> over the defaults.</summary>
    public static RequestMixOptions ParseWeights(string text, ulong seed)
    {
        var o = new RequestMixOptions { Seed = seed };
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            var v = double.Parse(kv[1], CultureInfo.InvariantCulture);
            o = kv[0].ToLowerInvariant() switch
            {
                "registered" => o with { Registered = v },
                "bound" => o with { Bound = v },
                "grace" => o with { Grace = v },
                "roaming" => o with { Roaming = v },
                "stolen" => o with { Stolen = v },
                "unknown" => o with { Unknown = v },
                "malformed" => o with { Malformed = v },
                _ => throw new ArgumentException($"unknown mix category '{kv[0]}'"),
            };
        }

        return o;
    }
}
