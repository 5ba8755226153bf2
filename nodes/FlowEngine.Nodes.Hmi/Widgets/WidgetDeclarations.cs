using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Hmi.Widgets;

/// <summary>What every widget declaration shares: palette look, layout properties and their help.</summary>
internal static class WidgetDeclarations
{
    public const string Category = "hmi";
    public const string Color = "#7FB7DF";

    public const string LayoutHelp = """

        ### Layout
        * **group**: the `hmi-group` the widget is drawn in (without one it is not shown).
        * **order**: position in the group, smallest first. **width**: columns of the group's 12-column grid
          (0 = the whole group width).
        * **label**: the caption (empty: the node's name).
        """;

    public const string ActionHelp = """

        ### Who may act
        Everyone with `hmi.read` sees the widget; only holders of `hmi.write` (roles operator and admin) can act on
        it: for others it is drawn disabled and the server refuses the request. Each action leaves the node as
        a message with `msg._client = {user, permissions}` and is recorded in the audit trail (`hmi.action`) with
        the user. **confirm** (text, empty = none) makes the page ask "OK / Cancel" with that text before sending.
        An incoming message with `msg.enabled` true or false enables or disables the widget on every page.
        """;

    public static IReadOnlyList<PropertyDeclaration> Layout(params PropertyDeclaration[] own) =>
    [
        new PropertyDeclaration("name", PropertyKind.String),
        new PropertyDeclaration("group", PropertyKind.ConfigReference) { ConfigType = "hmi-group", Label = "Group" },
        new PropertyDeclaration("order", PropertyKind.Number) { Default = 0.0, Label = "Order" },
        new PropertyDeclaration("width", PropertyKind.Number) { Default = 0.0, Label = "Width (0 = group width)" },
        new PropertyDeclaration("label", PropertyKind.String) { Default = "", Label = "Label" },
        .. own,
    ];

    public static IReadOnlyList<PropertyDeclaration> Action(params PropertyDeclaration[] own) =>
        Layout([
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "", Label = "Topic" },
            new PropertyDeclaration("confirm", PropertyKind.String) { Default = "", Label = "Ask to confirm (text)" },
            .. own,
        ]);

    public static string? OptionalNumber(object? value) => value switch
    {
        null or "" or double => null,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => null,
        // ${NAME}: an env variable, replaced by its value when the node is created (checked then).
        string s when s.StartsWith("${", StringComparison.Ordinal) && s.EndsWith('}') => null,
        _ => "expected a number or nothing",
    };

    /// <summary>A number from a message payload: a number, or a numeric string; anything else is refused.</summary>
    public static double Number(object? payload, string type)
    {
        switch (payload)
        {
            case double d when double.IsFinite(d):
                return d;
            case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
                return parsed;
            case bool b:
                return b ? 1 : 0;
            default:
                throw new HmiValueException($"{type} expects msg.payload to be a number, got {JsValue.TypeName(payload)} {Describe(payload)}");
        }
    }

    public static string Describe(object? value)
    {
        var text = value is JsObject or List<object?> ? JsJson.Serialize(value) : JsValue.ToJsString(value);
        return text.Length > 40 ? "\"" + text[..40] + "…\"" : "\"" + text + "\"";
    }

    /// <summary>Node-RED's typed values for configured payloads: str, num, bool, json.</summary>
    public static object? Typed(NodeConfig config, string property, string typeProperty, object? fallback)
    {
        if (!config.Has(property)) return fallback;
        var raw = config.Get(property);
        var type = config.GetString(typeProperty, "str");
        var text = raw as string ?? JsValue.ToJsString(raw);
        return type switch
        {
            "str" or "" => text,
            "num" => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw config.Invalid(property, $"\"{text}\" is not a number"),
            "bool" => text switch
            {
                "true" => true,
                "false" => false,
                _ => throw config.Invalid(property, $"expected true or false, got \"{text}\""),
            },
            "json" => JsJson.TryParse(text, out var parsed, out var error) ? parsed : throw config.Invalid(property, $"not valid JSON: {error?.Message}"),
            _ => throw config.Invalid(typeProperty, $"expected str, num, bool or json, got \"{type}\""),
        };
    }

    public static double? OptionalNumber(NodeConfig config, string property) => config.Get(property) switch
    {
        null or "" => null,
        _ => config.GetNumberOrNull(property),
    };
}
