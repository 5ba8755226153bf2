using System.Globalization;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>A schema that cannot be used (Node-RED: "JSON Schema error: failed to compile schema").</summary>
internal sealed class JsonSchemaException(string message) : Exception(message);

/// <summary>One validation error, shaped like ajv's (the validator Node-RED uses) so flows reading msg.schemaError work.</summary>
internal sealed record SchemaError(string InstancePath, string SchemaPath, string Keyword, JsObject Params, string Message)
{
    public JsObject ToObject() => new()
    {
        ["instancePath"] = InstancePath,
        ["schemaPath"] = SchemaPath,
        ["keyword"] = Keyword,
        ["params"] = Params,
        ["message"] = Message,
    };
}

/// <summary>
/// A JSON Schema (draft-06/07) validator covering the keywords flows use: type, enum, const, properties, required,
/// additionalProperties, patternProperties, propertyNames, dependencies, items (schema or list), additionalItems,
/// contains, min/maxItems, uniqueItems, minimum, maximum, exclusiveMinimum/Maximum, multipleOf, min/maxLength,
/// pattern, min/maxProperties, allOf, anyOf, oneOf, not, if/then/else and local $ref ("#/definitions/x").
/// Unknown keywords (format, title, ...) are ignored. Errors are reported like ajv with allErrors: every failure,
/// keywords in ajv's order, messages and params as ajv writes them.
/// </summary>
internal sealed class JsonSchemaValidator
{
    private const int MaxDepth = 256;

    private static readonly string[] TypeNames = ["string", "number", "integer", "boolean", "array", "object", "null"];

    private readonly object _root;
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private JsonSchemaValidator(object root) => _root = root;

    /// <summary>Checks the schema and prepares its patterns. Throws <see cref="JsonSchemaException"/> when it cannot be used.</summary>
    public static JsonSchemaValidator Compile(object? schema)
    {
        if (schema is not (JsObject or bool)) throw new JsonSchemaException("a schema must be an object or a boolean");
        var validator = new JsonSchemaValidator(schema);
        validator.Check(schema, "#", 0);
        return validator;
    }

    /// <summary>Every error of <paramref name="data"/> against the schema; empty when valid.</summary>
    public List<SchemaError> Validate(object? data)
    {
        var errors = new List<SchemaError>();
        Validate(_root, data, "", "#", errors, 0);
        return errors;
    }

    /// <summary>ajv's errorsText: "data/a must be string, data must have required property 'b'".</summary>
    public static string ErrorsText(IEnumerable<SchemaError> errors) =>
        string.Join(", ", errors.Select(e => $"data{e.InstancePath} {e.Message}"));

    // --- compile-time checks ---

    private void Check(object? schema, string at, int depth)
    {
        if (depth > MaxDepth) throw new JsonSchemaException($"schema too deep at {at}");
        if (schema is bool) return;
        if (schema is not JsObject obj) throw new JsonSchemaException($"{at} must be an object or a boolean");
        foreach (var (keyword, value) in obj)
        {
            var path = $"{at}/{keyword}";
            switch (keyword)
            {
                case "type":
                    var types = value is List<object?> list ? list : [value];
                    if (types.Count == 0 || types.Any(t => t is not string name || Array.IndexOf(TypeNames, name) < 0))
                    {
                        throw new JsonSchemaException($"{path}: type must be one of {string.Join(", ", TypeNames)} or a list of them");
                    }
                    break;
                case "required":
                    if (value is not List<object?> required || required.Any(r => r is not string)) throw new JsonSchemaException($"{path} must be a list of strings");
                    break;
                case "enum":
                    if (value is not List<object?>) throw new JsonSchemaException($"{path} must be a list");
                    break;
                case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum" or "multipleOf"
                    or "minLength" or "maxLength" or "minItems" or "maxItems" or "minProperties" or "maxProperties":
                    if (value is not double number) throw new JsonSchemaException($"{path} must be a number");
                    if (keyword == "multipleOf" && number <= 0) throw new JsonSchemaException($"{path} must be greater than 0");
                    break;
                case "pattern":
                    if (value is not string pattern) throw new JsonSchemaException($"{path} must be a string");
                    PatternFor(pattern, path);
                    break;
                case "properties" or "patternProperties" or "definitions" or "$defs":
                    if (value is not JsObject children) throw new JsonSchemaException($"{path} must be an object");
                    foreach (var (name, child) in children)
                    {
                        if (keyword == "patternProperties") PatternFor(name, path);
                        Check(child, $"{path}/{EscapePointer(name)}", depth + 1);
                    }
                    break;
                case "dependencies":
                    if (value is not JsObject dependencies) throw new JsonSchemaException($"{path} must be an object");
                    foreach (var (name, dependency) in dependencies)
                    {
                        if (dependency is List<object?> names && names.All(n => n is string)) continue;
                        Check(dependency, $"{path}/{EscapePointer(name)}", depth + 1);
                    }
                    break;
                case "items":
                    if (value is List<object?> tuple)
                    {
                        for (var i = 0; i < tuple.Count; i++) Check(tuple[i], $"{path}/{i}", depth + 1);
                    }
                    else
                    {
                        Check(value, path, depth + 1);
                    }
                    break;
                case "allOf" or "anyOf" or "oneOf":
                    if (value is not List<object?> { Count: > 0 } branches) throw new JsonSchemaException($"{path} must be a non-empty list of schemas");
                    for (var i = 0; i < branches.Count; i++) Check(branches[i], $"{path}/{i}", depth + 1);
                    break;
                case "not" or "additionalProperties" or "additionalItems" or "contains" or "propertyNames" or "if" or "then" or "else":
                    Check(value, path, depth + 1);
                    break;
                case "$ref":
                    if (value is not string reference) throw new JsonSchemaException($"{path} must be a string");
                    Resolve(reference, path);
                    break;
            }
        }
    }

    private Regex PatternFor(string pattern, string at)
    {
        if (_patterns.TryGetValue(pattern, out var regex)) return regex;
        try
        {
            regex = JsSemantics.CreateRegex(pattern, ignoreCase: false);
        }
        catch (ArgumentException ex)
        {
            throw new JsonSchemaException($"{at}: invalid pattern \"{pattern}\": {ex.Message}");
        }
        _patterns[pattern] = regex;
        return regex;
    }

    /// <summary>Resolves a local reference ("#", "#/definitions/a") to its schema.</summary>
    private object Resolve(string reference, string at)
    {
        if (!reference.StartsWith('#')) throw new JsonSchemaException($"{at}: only local references (#/...) are supported, not \"{reference}\"");
        object? current = _root;
        var pointer = Uri.UnescapeDataString(reference[1..]);
        if (pointer.Length > 0)
        {
            if (!pointer.StartsWith('/')) throw new JsonSchemaException($"{at}: cannot resolve \"{reference}\"");
            foreach (var raw in pointer[1..].Split('/'))
            {
                var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                current = current switch
                {
                    JsObject obj when obj.TryGetValue(token, out var next) => next,
                    List<object?> list when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
                    _ => throw new JsonSchemaException($"{at}: cannot resolve \"{reference}\""),
                };
            }
        }
        return current is JsObject or bool ? current : throw new JsonSchemaException($"{at}: \"{reference}\" is not a schema");
    }

    private static string EscapePointer(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    // --- validation ---

    private bool Validate(object schema, object? data, string dataPath, string schemaPath, List<SchemaError> errors, int depth)
    {
        var before = errors.Count;
        if (depth > MaxDepth)
        {
            errors.Add(new SchemaError(dataPath, schemaPath, "$ref", new JsObject(), "schema recursion too deep"));
            return false;
        }
        if (schema is bool allowed)
        {
            if (!allowed) errors.Add(new SchemaError(dataPath, schemaPath, "false schema", new JsObject(), "boolean schema is false"));
            return allowed;
        }
        var s = (JsObject)schema;

        // ajv checks the type first unless it is a single type with its own keyword group (number, string, array,
        // object), where the type error comes with that group.
        var types = s.Get("type") switch
        {
            List<object?> list => list.OfType<string>().ToList(),
            string single => [single],
            _ => null,
        };
        var typeMatches = types is null || types.Any(t => IsOfType(data, t));
        var groupType = types is [var only] && only is "number" or "string" or "array" or "object" ? only : null;
        if (!typeMatches && groupType is null) AddTypeError(s, dataPath, schemaPath, errors);

        // Keywords that apply to every type.
        if (s.Get("$ref") is string reference)
        {
            Validate(Resolve(reference, schemaPath), data, dataPath, RefPath(reference), errors, depth + 1);
        }
        if (s.TryGetValue("const", out var constant) && !JsValue.DeepEquals(data, constant))
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/const", "const", new JsObject { ["allowedValue"] = JsValue.DeepClone(constant) }, "must be equal to constant"));
        }
        if (s.Get("enum") is List<object?> allowedValues && !allowedValues.Any(v => JsValue.DeepEquals(data, v)))
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/enum", "enum", new JsObject { ["allowedValues"] = JsValue.DeepClone(allowedValues) }, "must be equal to one of the allowed values"));
        }
        if (s.TryGetValue("not", out var not) && not is not null && Validate(not, data, dataPath, $"{schemaPath}/not", [], depth + 1))
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/not", "not", new JsObject(), "must NOT be valid"));
        }
        if (s.Get("anyOf") is List<object?> anyOf)
        {
            var branchErrors = new List<SchemaError>();
            var any = false;
            for (var i = 0; i < anyOf.Count && !any; i++) any = Validate(anyOf[i]!, data, dataPath, $"{schemaPath}/anyOf/{i}", branchErrors, depth + 1);
            if (!any)
            {
                errors.AddRange(branchErrors);
                errors.Add(new SchemaError(dataPath, $"{schemaPath}/anyOf", "anyOf", new JsObject(), "must match a schema in anyOf"));
            }
        }
        if (s.Get("oneOf") is List<object?> oneOf)
        {
            var branchErrors = new List<SchemaError>();
            var passing = new List<object?>();
            for (var i = 0; i < oneOf.Count; i++)
            {
                if (Validate(oneOf[i]!, data, dataPath, $"{schemaPath}/oneOf/{i}", branchErrors, depth + 1)) passing.Add((double)i);
            }
            if (passing.Count != 1)
            {
                if (passing.Count == 0) errors.AddRange(branchErrors);
                errors.Add(new SchemaError(dataPath, $"{schemaPath}/oneOf", "oneOf",
                    new JsObject { ["passingSchemas"] = passing.Count == 0 ? null : passing }, "must match exactly one schema in oneOf"));
            }
        }
        if (s.Get("allOf") is List<object?> allOf)
        {
            for (var i = 0; i < allOf.Count; i++) Validate(allOf[i]!, data, dataPath, $"{schemaPath}/allOf/{i}", errors, depth + 1);
        }
        if (s.TryGetValue("if", out var condition) && condition is not null && (s.ContainsKey("then") || s.ContainsKey("else")))
        {
            var branch = Validate(condition, data, dataPath, $"{schemaPath}/if", [], depth + 1) ? "then" : "else";
            if (s.TryGetValue(branch, out var branchSchema) && branchSchema is not null
                && !Validate(branchSchema, data, dataPath, $"{schemaPath}/{branch}", errors, depth + 1))
            {
                errors.Add(new SchemaError(dataPath, $"{schemaPath}/if", "if", new JsObject { ["failingKeyword"] = branch }, $"must match \"{branch}\" schema"));
            }
        }

        switch (data)
        {
            case double number when groupType is null or "number":
                ValidateNumber(s, number, dataPath, schemaPath, errors);
                break;
            case string text when groupType is null or "string":
                ValidateString(s, text, dataPath, schemaPath, errors);
                break;
            case List<object?> items when groupType is null or "array":
                ValidateArray(s, items, dataPath, schemaPath, errors, depth);
                break;
            case JsObject obj when groupType is null or "object":
                ValidateObject(s, obj, dataPath, schemaPath, errors, depth);
                break;
        }
        if (!typeMatches && groupType is not null) AddTypeError(s, dataPath, schemaPath, errors);
        return errors.Count == before;
    }

    private static string RefPath(string reference) => reference.Length == 0 ? "#" : reference;

    private static void AddTypeError(JsObject schema, string dataPath, string schemaPath, List<SchemaError> errors)
    {
        var type = schema.Get("type");
        errors.Add(new SchemaError(dataPath, $"{schemaPath}/type", "type", new JsObject { ["type"] = JsValue.DeepClone(type) }, $"must be {JsValue.ToJsString(type)}"));
    }

    private static bool IsOfType(object? data, string type) => type switch
    {
        "string" => data is string,
        "number" => data is double d && double.IsFinite(d),
        "integer" => data is double i && double.IsFinite(i) && Math.Floor(i) == i,
        "boolean" => data is bool,
        "array" => data is List<object?>,
        "object" => data is JsObject,
        "null" => data is null,
        _ => false,
    };

    private static void ValidateNumber(JsObject s, double value, string dataPath, string schemaPath, List<SchemaError> errors)
    {
        Limit("maximum", "<=", value <= Number(s, "maximum"));
        Limit("minimum", ">=", value >= Number(s, "minimum"));
        Limit("exclusiveMaximum", "<", value < Number(s, "exclusiveMaximum"));
        Limit("exclusiveMinimum", ">", value > Number(s, "exclusiveMinimum"));
        if (s.Get("multipleOf") is double multipleOf)
        {
            // ajv's test, without tolerance: the quotient must be a whole number (so 0.3 is not a multiple of 0.1).
            var quotient = value / multipleOf;
            if (quotient != Math.Truncate(quotient))
            {
                errors.Add(new SchemaError(dataPath, $"{schemaPath}/multipleOf", "multipleOf", new JsObject { ["multipleOf"] = multipleOf },
                    $"must be multiple of {JsValue.FormatNumber(multipleOf)}"));
            }
        }

        void Limit(string keyword, string comparison, bool ok)
        {
            if (s.Get(keyword) is not double limit || ok) return;
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/{keyword}", keyword, new JsObject { ["comparison"] = comparison, ["limit"] = limit },
                $"must be {comparison} {JsValue.FormatNumber(limit)}"));
        }
    }

    // NaN makes every comparison false, which is "no limit" when the keyword is absent (checked by Limit).
    private static double Number(JsObject s, string keyword) => s.Get(keyword) as double? ?? double.NaN;

    private void ValidateString(JsObject s, string value, string dataPath, string schemaPath, List<SchemaError> errors)
    {
        // ajv counts Unicode code points, not UTF-16 units.
        var length = value.EnumerateRunes().Count();
        if (s.Get("maxLength") is double max && length > max)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/maxLength", "maxLength", new JsObject { ["limit"] = max },
                $"must NOT have more than {JsValue.FormatNumber(max)} characters"));
        }
        if (s.Get("minLength") is double min && length < min)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/minLength", "minLength", new JsObject { ["limit"] = min },
                $"must NOT have fewer than {JsValue.FormatNumber(min)} characters"));
        }
        if (s.Get("pattern") is string pattern && !PatternFor(pattern, schemaPath).IsMatch(value))
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/pattern", "pattern", new JsObject { ["pattern"] = pattern },
                $"must match pattern \"{pattern}\""));
        }
    }

    private void ValidateArray(JsObject s, List<object?> items, string dataPath, string schemaPath, List<SchemaError> errors, int depth)
    {
        if (s.Get("maxItems") is double max && items.Count > max)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/maxItems", "maxItems", new JsObject { ["limit"] = max }, $"must NOT have more than {JsValue.FormatNumber(max)} items"));
        }
        if (s.Get("minItems") is double min && items.Count < min)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/minItems", "minItems", new JsObject { ["limit"] = min }, $"must NOT have fewer than {JsValue.FormatNumber(min)} items"));
        }
        if (s.Get("uniqueItems") is true)
        {
            // ajv (without item types) walks from the end and pairs each item with the nearest equal one before it.
            for (var i = items.Count - 1; i > 0; i--)
            {
                var j = -1;
                for (var k = i - 1; k >= 0 && j < 0; k--)
                {
                    if (JsValue.DeepEquals(items[i], items[k])) j = k;
                }
                if (j >= 0)
                {
                    errors.Add(new SchemaError(dataPath, $"{schemaPath}/uniqueItems", "uniqueItems", new JsObject { ["i"] = (double)i, ["j"] = (double)j },
                        $"must NOT have duplicate items (items ## {j} and {i} are identical)"));
                    break;
                }
            }
        }
        switch (s.Get("items"))
        {
            case List<object?> tuple:
                for (var i = 0; i < tuple.Count && i < items.Count; i++)
                {
                    Validate(tuple[i]!, items[i], $"{dataPath}/{i}", $"{schemaPath}/items/{i}", errors, depth + 1);
                }
                if (s.TryGetValue("additionalItems", out var additional) && items.Count > tuple.Count)
                {
                    if (additional is false)
                    {
                        errors.Add(new SchemaError(dataPath, $"{schemaPath}/additionalItems", "additionalItems", new JsObject { ["limit"] = (double)tuple.Count },
                            $"must NOT have more than {tuple.Count} items"));
                    }
                    else if (additional is JsObject additionalSchema)
                    {
                        for (var i = tuple.Count; i < items.Count; i++)
                        {
                            Validate(additionalSchema, items[i], $"{dataPath}/{i}", $"{schemaPath}/additionalItems", errors, depth + 1);
                        }
                    }
                }
                break;
            case JsObject or bool:
                var itemSchema = s.Get("items")!;
                for (var i = 0; i < items.Count; i++) Validate(itemSchema, items[i], $"{dataPath}/{i}", $"{schemaPath}/items", errors, depth + 1);
                break;
        }
        if (s.TryGetValue("contains", out var contains) && contains is not null
            && !items.Any(item => Validate(contains, item, dataPath, $"{schemaPath}/contains", [], depth + 1)))
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/contains", "contains", new JsObject { ["minContains"] = 1.0 }, "must contain at least 1 valid item(s)"));
        }
    }

    private void ValidateObject(JsObject s, JsObject obj, string dataPath, string schemaPath, List<SchemaError> errors, int depth)
    {
        if (s.Get("maxProperties") is double max && obj.Count > max)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/maxProperties", "maxProperties", new JsObject { ["limit"] = max }, $"must NOT have more than {JsValue.FormatNumber(max)} properties"));
        }
        if (s.Get("minProperties") is double min && obj.Count < min)
        {
            errors.Add(new SchemaError(dataPath, $"{schemaPath}/minProperties", "minProperties", new JsObject { ["limit"] = min }, $"must NOT have fewer than {JsValue.FormatNumber(min)} properties"));
        }
        if (s.Get("required") is List<object?> required)
        {
            foreach (var name in required.OfType<string>())
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add(new SchemaError(dataPath, $"{schemaPath}/required", "required", new JsObject { ["missingProperty"] = name },
                        $"must have required property '{name}'"));
                }
            }
        }
        if (s.Get("dependencies") is JsObject dependencies)
        {
            foreach (var (name, dependency) in dependencies)
            {
                if (!obj.ContainsKey(name)) continue;
                if (dependency is List<object?> names)
                {
                    var missing = names.OfType<string>().Where(n => !obj.ContainsKey(n)).ToList();
                    foreach (var property in missing)
                    {
                        errors.Add(new SchemaError(dataPath, $"{schemaPath}/dependencies", "dependencies",
                            new JsObject { ["property"] = name, ["missingProperty"] = property, ["depsCount"] = (double)names.Count, ["deps"] = string.Join(", ", names.OfType<string>()) },
                            $"must have propert{(names.Count == 1 ? "y" : "ies")} {string.Join(", ", names.OfType<string>())} when property {name} is present"));
                    }
                }
                else if (dependency is not null)
                {
                    Validate(dependency, obj, dataPath, $"{schemaPath}/dependencies/{EscapePointer(name)}", errors, depth + 1);
                }
            }
        }
        if (s.TryGetValue("propertyNames", out var propertyNames) && propertyNames is not null)
        {
            foreach (var name in obj.Keys)
            {
                var nameErrors = new List<SchemaError>();
                if (!Validate(propertyNames, name, dataPath, $"{schemaPath}/propertyNames", nameErrors, depth + 1))
                {
                    errors.AddRange(nameErrors.Select(e => e with { Params = With(e.Params, "propertyName", name) }));
                    errors.Add(new SchemaError(dataPath, $"{schemaPath}/propertyNames", "propertyNames", new JsObject { ["propertyName"] = name }, "property name must be valid"));
                }
            }
        }
        var properties = s.Get("properties") as JsObject;
        var patternProperties = s.Get("patternProperties") as JsObject;
        if (s.TryGetValue("additionalProperties", out var additional) && additional is not (null or true))
        {
            foreach (var (name, value) in obj)
            {
                if (properties?.ContainsKey(name) == true) continue;
                if (patternProperties?.Keys.Any(p => PatternFor(p, schemaPath).IsMatch(name)) == true) continue;
                if (additional is false)
                {
                    errors.Add(new SchemaError(dataPath, $"{schemaPath}/additionalProperties", "additionalProperties", new JsObject { ["additionalProperty"] = name },
                        "must NOT have additional properties"));
                }
                else
                {
                    Validate(additional, value, $"{dataPath}/{EscapePointer(name)}", $"{schemaPath}/additionalProperties", errors, depth + 1);
                }
            }
        }
        if (properties is not null)
        {
            foreach (var (name, propertySchema) in properties)
            {
                if (propertySchema is not null && obj.TryGetValue(name, out var value))
                {
                    Validate(propertySchema, value, $"{dataPath}/{EscapePointer(name)}", $"{schemaPath}/properties/{EscapePointer(name)}", errors, depth + 1);
                }
            }
        }
        if (patternProperties is not null)
        {
            foreach (var (pattern, patternSchema) in patternProperties)
            {
                if (patternSchema is null) continue;
                var regex = PatternFor(pattern, schemaPath);
                foreach (var (name, value) in obj)
                {
                    if (regex.IsMatch(name))
                    {
                        Validate(patternSchema, value, $"{dataPath}/{EscapePointer(name)}", $"{schemaPath}/patternProperties/{EscapePointer(pattern)}", errors, depth + 1);
                    }
                }
            }
        }
    }

    private static JsObject With(JsObject source, string key, object? value)
    {
        var copy = (JsObject)JsValue.DeepClone(source)!;
        copy[key] = value;
        return copy;
    }
}
