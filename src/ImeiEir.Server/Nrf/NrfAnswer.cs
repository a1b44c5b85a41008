using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// What the NRF answered: the status, the <c>heartBeatTimer</c> of the NFProfile in the body (when there is one), and
/// for an error a short description from its ProblemDetails (<c>cause</c>, <c>detail</c>) for the log.
/// </summary>
internal sealed record NrfAnswer(int Status, int? HeartBeatTimer, string Problem)
{
    private const int MaxProblemLength = 300;

    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>TS 29.510: the NF instance is not registered (expired, or the NRF lost it): register again.</summary>
    public bool IsNotFound => Status == 404;

    public static NrfAnswer From(int status, string? mediaType, string body)
    {
        JsonObject? json = null;
        if (body.Length != 0 && mediaType is not null && mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                json = JsonNode.Parse(body) as JsonObject;
            }
            catch (JsonException)
            {
            }
        }

        int? heartBeat = null;
        if (json?["heartBeatTimer"] is JsonValue value && value.TryGetValue<int>(out var seconds) && seconds >= 1)
        {
            heartBeat = seconds;
        }

        var problem = "";
        if (status is < 200 or >= 300)
        {
            var cause = json?["cause"]?.GetValueKind() == JsonValueKind.String ? (string?)json["cause"] : null;
            var detail = json?["detail"]?.GetValueKind() == JsonValueKind.String ? (string?)json["detail"] : null;
            problem = string.Join(": ", new[] { cause, detail }.Where(s => !string.IsNullOrEmpty(s)));
            if (problem.Length == 0 && json is null && body.Length != 0)
            {
                problem = body;
            }

            problem = string.Create(CultureInfo.InvariantCulture, $"HTTP {status}{(problem.Length == 0 ? "" : " ")}{problem}");
            problem = problem.ReplaceLineEndings(" ");
            if (problem.Length > MaxProblemLength)
            {
                problem = problem[..MaxProblemLength] + "…";
            }
        }

        return new NrfAnswer(status, heartBeat, problem);
    }
}
