using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImeiEir.Server.N5gEir;

/// <summary>TS 29.511 EquipmentStatus: the one field of <see cref="EirResponseData"/>.</summary>
internal enum N5gEquipmentStatus
{
    [JsonStringEnumMemberName("WHITELISTED")]
    Whitelisted,

    [JsonStringEnumMemberName("BLACKLISTED")]
    Blacklisted,

    [JsonStringEnumMemberName("GREYLISTED")]
    Greylisted,
}

/// <summary>TS 29.511 EirResponseData: the 200 body of <c>GET /equipment-status</c>.</summary>
internal sealed record EirResponseData(N5gEquipmentStatus Status);

/// <summary>TS 29.571 InvalidParam. <see cref="Param"/> is <c>"query " + name</c> for a query parameter (TS 29.571).</summary>
internal sealed record InvalidParam(string Param, string? Reason);

/// <summary>
/// TS 29.571 ProblemDetails (RFC 7807 plus the 3GPP <c>cause</c> and <c>invalidParams</c>), the body of every error
/// this API answers. Members left null are not written.
/// </summary>
internal sealed class ProblemDetails
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? Cause { get; init; }

    public IReadOnlyList<InvalidParam>? InvalidParams { get; init; }
}

/// <summary>
/// Source-generated serialization (no reflection): property names as TS 29.511/29.571 spell them (camelCase), nulls
/// left out, enums by their 3GPP names.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(EirResponseData))]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class N5gEirJsonContext : JsonSerializerContext
{
    /// <summary>The UTF-8 bytes of a body, for answers that never change (built once, written many times).</summary>
    public static byte[] Utf8(EirResponseData value) => JsonSerializer.SerializeToUtf8Bytes(value, Default.EirResponseData);

    /// <inheritdoc cref="Utf8(EirResponseData)"/>
    public static byte[] Utf8(ProblemDetails value) => JsonSerializer.SerializeToUtf8Bytes(value, Default.ProblemDetails);
}
