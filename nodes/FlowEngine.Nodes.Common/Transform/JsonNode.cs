using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>Node-RED's json node: converts a property between a JSON string and an object, with optional schema validation.</summary>
internal sealed class JsonNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("json")
    {
        Category = "parser",
        Color = "#DEBD5C",
        Icon = "parser-json.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/JSON",
        Help = """
            Converts between a JSON string and its object.

            **action**: `""` converts either way (a string or buffer is parsed, anything else is stringified),
            `"str"` always produces a JSON string (a string passes unchanged), `"obj"` always produces an object (an
            object passes unchanged). A buffer is parsed as UTF-8 text.

            **pretty**: when writing JSON, indent it with 4 spaces. **property**: the message property (default
            `payload`); a message without it passes unchanged.

            Text that is not valid JSON raises an error (to catch nodes) with the parser's message, and the message is
            not sent.

            `msg.schema`: a JSON schema (draft-06/07 subset: type, enum, const, properties, required,
            additionalProperties, patternProperties, items, min/maxItems, uniqueItems, minimum, maximum,
            exclusiveMinimum/Maximum, multipleOf, min/maxLength, pattern, min/maxProperties, allOf, anyOf, oneOf, not,
            if/then/else, local `$ref`). When present, the object is validated: on success `msg.schema` is removed;
            on failure `msg.schemaError` is set to the list of errors (`{instancePath, schemaPath, keyword, params,
            message}`) and the error "JSON Schema error: …" is raised.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Help = "message property" },
            new PropertyDeclaration("action", PropertyKind.Select) { Default = "", Options = ["", "str", "obj"] },
            new PropertyDeclaration("pretty", PropertyKind.Bool) { Default = false },
        ],
    };

    private readonly PropertyPath _property;
    private readonly string _action;
    private readonly bool _pretty;
    private string? _schemaText;
    private JsonSchemaValidator? _validator;

    public JsonNode(NodeSetup setup) : base(setup)
    {
        var property = Config.GetString("property", "payload");
        try
        {
            _property = PropertyPath.Parse(property.Length == 0 ? "payload" : property);
        }
        catch (PropertyPathException ex)
        {
            throw Config.Invalid("property", ex.Message);
        }
        _action = Config.GetString("action");
        if (_action is not ("" or "str" or "obj")) throw Config.Invalid("action", $"\"{_action}\" is not one of \"\", str, obj");
        _pretty = Config.GetBool("pretty", false);
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var validate = false;
        if (JsValue.IsTruthy(msg.Get("schema")))
        {
            var schema = msg.Get("schema");
            var text = JsJson.Serialize(schema);
            if (text != _schemaText)
            {
                // Compiled once per distinct schema, as Node-RED does.
                try
                {
                    _validator = JsonSchemaValidator.Compile(schema);
                    _schemaText = text;
                }
                catch (JsonSchemaException)
                {
                    _validator = null;
                    _schemaText = null;
                    throw new InvalidOperationException("JSON Schema error: failed to compile schema");
                }
            }
            validate = true;
        }

        if (!_property.TryGetValue(msg, out var value))
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        switch (value)
        {
            case string or byte[]:
                var text = value as string ?? Encoding.UTF8.GetString((byte[])value);
                if (_action is "" or "obj")
                {
                    object? parsed;
                    try
                    {
                        parsed = JsJson.Parse(text);
                    }
                    catch (JsJsonException ex)
                    {
                        throw new InvalidOperationException(ex.Message, ex);
                    }
                    _property.SetValue(msg, parsed);
                    if (validate) Validate(msg, parsed);
                }
                else if (validate)
                {
                    // Already a string: it is validated as the object it describes and passes unchanged.
                    object? parsed;
                    try
                    {
                        parsed = JsJson.Parse(text);
                    }
                    catch (JsJsonException ex)
                    {
                        throw new InvalidOperationException(ex.Message, ex);
                    }
                    Validate(msg, parsed);
                }
                Send(msg);
                break;
            case null or JsObject or List<object?> or double or bool or DateTime:
                if (validate) Validate(msg, value);
                if (_action is "" or "str") _property.SetValue(msg, JsJson.Serialize(value, _pretty));
                Send(msg);
                break;
            default:
                Warn("Ignored unsupported payload type");
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Validates against msg.schema. On success removes msg.schema; on failure sets msg.schemaError and throws, so
    /// the error reaches catch nodes with that message and the message is not sent.
    /// </summary>
    private void Validate(JsObject msg, object? value)
    {
        var errors = _validator!.Validate(value);
        if (errors.Count == 0)
        {
            msg.Remove("schema");
            return;
        }
        msg["schemaError"] = errors.Select(e => (object?)e.ToObject()).ToList();
        throw new InvalidOperationException($"JSON Schema error: {JsonSchemaValidator.ErrorsText(errors)}");
    }
}
