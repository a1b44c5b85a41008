using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ImeiEir.Server.Tests.N5gEir;

/// <summary>
/// The 3GPP OpenAPI files (Release 18, the repository's copy in docs/3gpp), read with YamlDotNet, and a purpose-built validator for
/// request and response bodies: it follows <c>$ref</c> across files and checks the schema keywords these APIs use
/// (type, required, properties, additionalProperties, enum, items, minItems/maxItems, minProperties, pattern,
/// minLength/maxLength, minimum/maximum, format uuid, nullable, allOf/anyOf/oneOf/not).
/// One stricter rule than OpenAPI: an object may carry only the properties its schema declares, so a misspelt field
/// (<c>invalidParam</c>) fails instead of passing as an "additional property".
/// </summary>
internal sealed class OpenApiSpec
{
    public const string N5gEirFile = "TS29511_N5g-eir_EquipmentIdentityCheck.yaml";

    /// <summary>TS 29.510 Nnrf_NFManagement: the NFProfile a node registers, the NRF's answers.</summary>
    public const string NfManagementFile = "TS29510_Nnrf_NFManagement.yaml";

    private static readonly Lazy<OpenApiSpec> Shared = new(() => Load(FindSpecDirectory()));

    private readonly string _directory;
    private readonly Dictionary<string, YamlMappingNode> _files = new(StringComparer.Ordinal);

    private OpenApiSpec(string directory) => _directory = directory;

    /// <summary>The N5g-eir spec set, loaded once per test run.</summary>
    public static OpenApiSpec N5gEir => Shared.Value;

    /// <summary>The same loaded set, for the NRF files (<see cref="NfManagementFile"/>).</summary>
    public static OpenApiSpec NfManagement => Shared.Value;

    public static OpenApiSpec Load(string directory)
    {
        var spec = new OpenApiSpec(directory);
        spec.File(N5gEirFile);
        spec.File(NfManagementFile);
        return spec;
    }

    /// <summary>The <c>info.version</c> of a file (the API version it defines).</summary>
    public string VersionOf(string file) => Scalar(Child(Child(File(file), "info"), "version")) ?? "";

    /// <summary>
    /// The folder named by <c>IMEIEIR_3GPP_SPEC_DIR</c>, else the repository's copy in <c>docs/3gpp</c> (so a fresh clone
    /// tests alone), else <c>shared/spec/3gpp</c> beside the repository.
    /// </summary>
    public static string FindSpecDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("IMEIEIR_3GPP_SPEC_DIR");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            // The copy kept in the repository (docs/3gpp, see SOURCES.txt there), else the shared folder beside it.
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "docs", "3gpp"), Path.Combine(dir.FullName, "shared", "spec", "3gpp") })
            {
                if (System.IO.File.Exists(Path.Combine(candidate, N5gEirFile)))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"{N5gEirFile} not found in docs/3gpp or shared/spec/3gpp above {AppContext.BaseDirectory}; set IMEIEIR_3GPP_SPEC_DIR.");
    }

    /// <summary>
    /// Checks one HTTP response against the operation's <c>responses</c>: the status must be declared (or fall under
    /// <c>default</c>), the content type must be one it declares, and the body must match that media type's schema.
    /// Returns the problems found (empty: valid).
    /// </summary>
    public IReadOnlyList<string> ValidateResponse(string path, string method, int status, string? contentType, string body)
        => ValidateResponse(N5gEirFile, path, method, status, contentType, body);

    /// <inheritdoc cref="ValidateResponse(string, string, int, string?, string)"/>
    public IReadOnlyList<string> ValidateResponse(string specFile, string path, string method, int status, string? contentType, string body)
    {
        var errors = new List<string>();
        var operation = Child(Child(Child(File(specFile), "paths"), path), method)
            ?? throw new ArgumentException($"{method.ToUpperInvariant()} {path} is not in {specFile}");
        var responses = (YamlMappingNode)Child(operation, "responses")!;
        var code = status.ToString(CultureInfo.InvariantCulture);
        var (file, response) = Resolve(specFile, Child(responses, code) ?? Child(responses, "default"));
        if (response is null)
        {
            errors.Add($"status {code} is not declared by the operation");
            return errors;
        }

        if (Child(response, "content") is not YamlMappingNode content)
        {
            if (body.Length != 0)
            {
                errors.Add($"status {code} declares no content, but the body is {body.Length} chars");
            }

            return errors;
        }

        var mediaType = contentType?.Split(';')[0].Trim();
        if (mediaType is null || Child(content, mediaType) is not YamlMappingNode media)
        {
            errors.Add($"content type '{contentType}' is not declared for status {code} (declared: {string.Join(", ", content.Children.Keys)})");
            return errors;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            errors.Add($"body is not JSON: {ex.Message}");
            return errors;
        }

        using (document)
        {
            Validate(file, Child(media, "schema")!, document.RootElement, "$", errors);
        }

        return errors;
    }

    /// <summary>
    /// Checks a request against the operation's <c>requestBody</c>: the content type must be one it declares and the
    /// body must match that media type's schema. Returns the problems found (empty: valid).
    /// </summary>
    public IReadOnlyList<string> ValidateRequest(string specFile, string path, string method, string? contentType, string body)
    {
        var errors = new List<string>();
        var operation = Child(Child(Child(File(specFile), "paths"), path), method)
            ?? throw new ArgumentException($"{method.ToUpperInvariant()} {path} is not in {specFile}");
        var (file, requestBody) = Resolve(specFile, Child(operation, "requestBody"));
        if (requestBody is null)
        {
            if (body.Length != 0)
            {
                errors.Add($"the operation declares no request body, but the body is {body.Length} chars");
            }

            return errors;
        }

        var mediaType = contentType?.Split(';')[0].Trim();
        if (mediaType is null || Child(Child(requestBody, "content"), mediaType) is not YamlMappingNode media)
        {
            errors.Add($"content type '{contentType}' is not declared for the request body");
            return errors;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            Validate(file, Child(media, "schema")!, document.RootElement, "$", errors);
        }
        catch (JsonException ex)
        {
            errors.Add($"body is not JSON: {ex.Message}");
        }

        return errors;
    }

    /// <summary>Validates a value against a named schema, e.g. <c>("TS29571_CommonData.yaml", "ProblemDetails")</c>.</summary>
    public IReadOnlyList<string> ValidateSchema(string file, string schemaName, JsonElement value)
    {
        var errors = new List<string>();
        var schema = Child(Child(Child(File(file), "components"), "schemas"), schemaName)
            ?? throw new ArgumentException($"no schema {schemaName} in {file}");
        Validate(file, schema, value, "$", errors);
        return errors;
    }

    /// <summary>The enum values a named schema allows (empty when it has none).</summary>
    public IReadOnlyList<string> EnumOf(string file, string schemaName)
    {
        var schema = Child(Child(Child(File(file), "components"), "schemas"), schemaName);
        return Child(schema, "enum") is YamlSequenceNode values ? values.Children.Select(n => Scalar(n) ?? "").ToList() : [];
    }

    private void Validate(string file, YamlNode schemaNode, JsonElement value, string at, List<string> errors)
    {
        var (schemaFile, resolved) = Resolve(file, schemaNode);
        if (resolved is null)
        {
            errors.Add($"{at}: schema reference does not resolve");
            return;
        }

        var schema = resolved;
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (Scalar(Child(schema, "nullable")) != "true")
            {
                errors.Add($"{at}: null is not allowed");
            }

            return;
        }

        if (Child(schema, "allOf") is YamlSequenceNode allOf)
        {
            foreach (var s in allOf)
            {
                Validate(schemaFile, s, value, at, errors);
            }
        }

        if (Child(schema, "anyOf") is YamlSequenceNode anyOf && !anyOf.Any(s => Matches(schemaFile, s, value, at)))
        {
            errors.Add($"{at}: matches none of anyOf");
        }

        if (Child(schema, "oneOf") is YamlSequenceNode oneOf && oneOf.Count(s => Matches(schemaFile, s, value, at)) != 1)
        {
            errors.Add($"{at}: does not match exactly one of oneOf");
        }

        if (Child(schema, "not") is { } not && Matches(schemaFile, not, value, at))
        {
            errors.Add($"{at}: matches the schema under 'not'");
        }

        var type = Scalar(Child(schema, "type"));
        var kindOk = type switch
        {
            null => true,
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ => false,
        };
        if (!kindOk)
        {
            errors.Add($"{at}: expected {type}, got {value.ValueKind}");
            return;
        }

        if (Child(schema, "enum") is YamlSequenceNode values)
        {
            var allowed = values.Children.Select(Scalar).ToList();
            var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            if (!allowed.Contains(text))
            {
                errors.Add($"{at}: '{text}' is not one of {string.Join("|", allowed)}");
            }
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            var number = value.GetDouble();
            if (Real(schema, "minimum") is { } minimum && number < minimum)
            {
                errors.Add($"{at}: {number} is less than the minimum {minimum}");
            }

            if (Real(schema, "maximum") is { } maximum && number > maximum)
            {
                errors.Add($"{at}: {number} is more than the maximum {maximum}");
            }
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                ValidateString(schema, value.GetString()!, at, errors);
                break;
            case JsonValueKind.Array:
                ValidateArray(schemaFile, schema, value, at, errors);
                break;
            case JsonValueKind.Object:
                ValidateObject(schemaFile, schema, value, at, errors);
                break;
        }
    }

    private static void ValidateString(YamlMappingNode schema, string text, string at, List<string> errors)
    {
        if (Scalar(Child(schema, "pattern")) is { } pattern && !Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{at}: '{text}' does not match {pattern}");
        }

        if (Number(schema, "minLength") is { } min && text.Length < min)
        {
            errors.Add($"{at}: shorter than {min}");
        }

        if (Number(schema, "maxLength") is { } max && text.Length > max)
        {
            errors.Add($"{at}: longer than {max}");
        }

        if (Scalar(Child(schema, "format")) == "uuid" && !Guid.TryParseExact(text, "D", out _))
        {
            errors.Add($"{at}: '{text}' is not a UUID");
        }
    }

    private void ValidateArray(string file, YamlMappingNode schema, JsonElement value, string at, List<string> errors)
    {
        var count = value.GetArrayLength();
        if (Number(schema, "minItems") is { } min && count < min)
        {
            errors.Add($"{at}: {count} items, at least {min} required");
        }

        if (Number(schema, "maxItems") is { } max && count > max)
        {
            errors.Add($"{at}: {count} items, at most {max} allowed");
        }

        if (Child(schema, "items") is { } items)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Validate(file, items, item, $"{at}[{i++}]", errors);
            }
        }
    }

    private void ValidateObject(string file, YamlMappingNode schema, JsonElement value, string at, List<string> errors)
    {
        if (Child(schema, "required") is YamlSequenceNode required)
        {
            foreach (var name in required.Children.Select(Scalar))
            {
                if (!value.TryGetProperty(name!, out _))
                {
                    errors.Add($"{at}: required property '{name}' is missing");
                }
            }
        }

        if (Number(schema, "minProperties") is { } minProperties && value.EnumerateObject().Count() < minProperties)
        {
            errors.Add($"{at}: fewer than {minProperties} properties");
        }

        var properties = Child(schema, "properties") as YamlMappingNode;
        var additional = Child(schema, "additionalProperties");
        if (properties is null && additional is not YamlMappingNode)
        {
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (Child(properties, property.Name) is { } propertySchema)
            {
                Validate(file, propertySchema, property.Value, $"{at}.{property.Name}", errors);
            }
            else if (additional is YamlMappingNode additionalSchema)
            {
                // A map (additionalProperties: {schema}): every value must match the schema.
                Validate(file, additionalSchema, property.Value, $"{at}.{property.Name}", errors);
            }
            else if (additional is null || Scalar(additional) == "false")
            {
                errors.Add($"{at}: property '{property.Name}' is not declared by the schema");
            }
        }
    }

    private bool Matches(string file, YamlNode schema, JsonElement value, string at)
    {
        var scratch = new List<string>();
        Validate(file, schema, value, at, scratch);
        return scratch.Count == 0;
    }

    /// <summary>Follows <c>$ref</c> chains (<c>#/a/b</c> in the same file, <c>Other.yaml#/a/b</c> in another).</summary>
    private (string File, YamlMappingNode? Node) Resolve(string file, YamlNode? node)
    {
        for (var hops = 0; hops < 32 && node is YamlMappingNode map; hops++)
        {
            if (Scalar(Child(map, "$ref")) is not { } reference)
            {
                return (file, map);
            }

            var hash = reference.IndexOf('#', StringComparison.Ordinal);
            if (hash > 0)
            {
                file = reference[..hash];
            }

            YamlNode? target = File(file);
            foreach (var segment in reference[(hash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = Child(target, segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
            }

            node = target;
        }

        return (file, node as YamlMappingNode);
    }

    private YamlMappingNode File(string name)
    {
        if (!_files.TryGetValue(name, out var root))
        {
            using var reader = new StreamReader(Path.Combine(_directory, name));
            var stream = new YamlStream();
            stream.Load(reader);
            root = (YamlMappingNode)stream.Documents[0].RootNode;
            _files[name] = root;
        }

        return root;
    }

    private static YamlNode? Child(YamlNode? node, string key)
        => node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;

    private static int? Number(YamlNode schema, string key)
        => Scalar(Child(schema, key)) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static double? Real(YamlNode schema, string key)
        => Scalar(Child(schema, key)) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : null;
}
