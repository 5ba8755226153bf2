using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Hmi.Widgets;

/// <summary>A widget people act on: its value goes out of the node with who acted; msg.enabled turns it on and off.</summary>
internal abstract class ActionWidget : HmiWidgetNode
{
    private volatile bool _enabled = true;
    private object? _value;

    protected ActionWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        Topic = Config.GetString("topic", "");
        Confirm = Config.GetString("confirm", "");
    }

    protected string Topic { get; }
    protected string Confirm { get; }

    public override bool AcceptsActions => true;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        Publish(InitialValue());
        return base.OnStartAsync(cancellationToken);
    }

    protected virtual object? InitialValue() => null;

    protected sealed override JsObject Options()
    {
        var options = WidgetOptions();
        options["confirm"] = Confirm;
        return options;
    }

    protected virtual JsObject WidgetOptions() => [];

    /// <summary>State of every action widget: {value, enabled}.</summary>
    protected void Publish(object? value)
    {
        _value = value;
        SetState(new JsObject { ["value"] = JsValue.DeepClone(value), ["enabled"] = _enabled });
    }

    protected override void Receive(JsObject message)
    {
        if (message.Get("enabled") is bool enabled)
        {
            _enabled = enabled;
            if (!message.ContainsKey("payload"))
            {
                Publish(_value);
                return;
            }
        }
        // A value from the flow shows on the pages without leaving the node again (no feedback loop with the device).
        Publish(ShowValue(message.Get("payload")));
    }

    /// <summary>The value a flow message sets on the widget (throw <see cref="HmiValueException"/> when it cannot).</summary>
    protected abstract object? ShowValue(object? payload);

    public override object? ValidateAction(object? value)
    {
        if (!_enabled) throw new HmiValueException($"{Label} is disabled");
        return CheckAction(value);
    }

    protected abstract object? CheckAction(object? value);

    protected override void OnAction(object? value, HmiClient client)
    {
        var payload = ActionPayload(value);
        Publish(value);
        SendAction(payload, client, Topic);
        SetStatus(NodeStatus.Ok($"{client.User ?? "someone"}: {Short(payload)}"));
    }

    /// <summary>The payload of the message sent for an action (a switch maps on/off to its configured values).</summary>
    protected virtual object? ActionPayload(object? value) => value;
}

/// <summary>hmi-button.</summary>
internal sealed class ButtonWidget : ActionWidget
{
    public static readonly NodeDeclaration Declaration = new("hmi-button")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-hand-pointer-o",
        PaletteLabel = "button",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "button",
        Help = """
            A large button. A press sends **payload** (typed by **payloadType**: str, num, bool or json) with
            **topic**. An incoming message does not press it; it only changes `msg.enabled`.
            """ + WidgetDeclarations.ActionHelp + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Action(
            new PropertyDeclaration("payload", PropertyKind.TypedInput) { Default = "pressed", TypeProperty = "payloadType", Label = "Payload" },
            new PropertyDeclaration("payloadType", PropertyKind.String) { Default = "str" }),
    };

    private readonly object? _payload;

    public ButtonWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _payload = WidgetDeclarations.Typed(Config, "payload", "payloadType", "pressed");
    }

    protected override object? ShowValue(object? payload) => null;

    protected override object? CheckAction(object? value) => null;

    protected override object? ActionPayload(object? value) => JsValue.DeepClone(_payload);
}

/// <summary>hmi-switch.</summary>
internal sealed class SwitchWidget : ActionWidget
{
    public static readonly NodeDeclaration Declaration = new("hmi-switch")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-toggle-on",
        PaletteLabel = "switch",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "switch",
        Help = """
            An on/off switch. Turning it sends **onValue** or **offValue** (typed by **onValueType** /
            **offValueType**: str, num, bool or json; default true / false). An incoming `msg.payload` equal to
            one of them moves the switch on every page without sending anything (the device reporting its state);
            any other value is an error for catch nodes.
            """ + WidgetDeclarations.ActionHelp + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Action(
            new PropertyDeclaration("onValue", PropertyKind.TypedInput) { Default = "true", TypeProperty = "onValueType", Label = "On value" },
            new PropertyDeclaration("onValueType", PropertyKind.String) { Default = "bool" },
            new PropertyDeclaration("offValue", PropertyKind.TypedInput) { Default = "false", TypeProperty = "offValueType", Label = "Off value" },
            new PropertyDeclaration("offValueType", PropertyKind.String) { Default = "bool" }),
    };

    private readonly object? _on;
    private readonly object? _off;

    public SwitchWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _on = Config.Has("onValue") ? WidgetDeclarations.Typed(Config, "onValue", "onValueType", true) : true;
        _off = Config.Has("offValue") ? WidgetDeclarations.Typed(Config, "offValue", "offValueType", false) : false;
        if (JsValue.DeepEquals(_on, _off)) throw Config.Invalid("offValue", "the off value must differ from the on value");
    }

    protected override object? InitialValue() => false;

    protected override object? ShowValue(object? payload) =>
        JsValue.DeepEquals(payload, _on) ? true
        : JsValue.DeepEquals(payload, _off) ? false
        : throw new HmiValueException($"{Type} expects msg.payload to be the on value {WidgetDeclarations.Describe(_on)} or the off value {WidgetDeclarations.Describe(_off)}, got {WidgetDeclarations.Describe(payload)}");

    protected override object? CheckAction(object? value) =>
        value as bool? ?? throw new HmiValueException($"a switch takes true or false, got {JsValue.TypeName(value)}");

    protected override object? ActionPayload(object? value) => JsValue.DeepClone(value is true ? _on : _off);
}

/// <summary>hmi-slider and hmi-number-input: a number in a range, on a step.</summary>
internal sealed class NumberWidget : ActionWidget
{
    public static readonly NodeDeclaration SliderDeclaration = Declare("hmi-slider", "slider", "font-awesome/fa-sliders", """
        A slider from **min** to **max** in steps of **step**. The value is sent when the person lets go (not
        while dragging), as a number with **topic**. An incoming number moves the slider on every page without
        sending anything; a value outside the range is clamped.
        """);

    public static readonly NodeDeclaration InputDeclaration = Declare("hmi-number-input", "number input", "font-awesome/fa-keyboard-o", """
        A numeric field with large − and + buttons (steps of **step**) and a Send button, for setpoints. The value
        must be within **min** and **max**: the page and the server both refuse anything else. An incoming number
        shows on every page without sending anything. **unit** is drawn after the field.
        """);

    private static NodeDeclaration Declare(string type, string label, string icon, string help) => new(type)
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = icon,
        PaletteLabel = label,
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = label,
        Help = help + WidgetDeclarations.ActionHelp + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Action(
            new PropertyDeclaration("min", PropertyKind.Number) { Default = 0.0, Label = "Min" },
            new PropertyDeclaration("max", PropertyKind.Number) { Default = 100.0, Label = "Max" },
            new PropertyDeclaration("step", PropertyKind.Number) { Default = 1.0, Label = "Step" },
            new PropertyDeclaration("unit", PropertyKind.String) { Default = "", Label = "Unit" }),
    };

    private readonly double _min;
    private readonly double _max;
    private readonly double _step;

    public NumberWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _min = Config.GetNumber("min", 0);
        _max = Config.GetNumber("max", 100);
        _step = Config.GetNumber("step", 1);
        if (_max <= _min) throw Config.Invalid("max", $"max ({JsValue.FormatNumber(_max)}) must be greater than min ({JsValue.FormatNumber(_min)})");
        if (_step <= 0) throw Config.Invalid("step", "step must be greater than 0");
    }

    protected override object? InitialValue() => _min;

    protected override JsObject WidgetOptions() => new() { ["min"] = _min, ["max"] = _max, ["step"] = _step, ["unit"] = Config.GetString("unit", "") };

    protected override object? ShowValue(object? payload) => Math.Clamp(WidgetDeclarations.Number(payload, Type), _min, _max);

    protected override object? CheckAction(object? value)
    {
        if (value is not double number || !double.IsFinite(number)) throw new HmiValueException($"{Label} takes a number, got {JsValue.TypeName(value)}");
        if (number < _min || number > _max)
        {
            throw new HmiValueException($"{Label} takes {JsValue.FormatNumber(_min)} to {JsValue.FormatNumber(_max)}, got {JsValue.FormatNumber(number)}");
        }
        // Snap to the step grid from min, so a value typed between steps goes out as the nearest step.
        var snapped = _min + Math.Round((number - _min) / _step) * _step;
        return Math.Round(Math.Min(snapped, _max), 10);
    }
}

/// <summary>hmi-dropdown.</summary>
internal sealed class DropdownWidget : ActionWidget
{
    public static readonly NodeDeclaration Declaration = new("hmi-dropdown")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-list",
        PaletteLabel = "dropdown",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "dropdown",
        Help = """
            A list to choose from. **options** is a JSON array of strings, numbers or `{"label": "...", "value": ...}`
            objects. Choosing sends the option's value. An incoming `msg.payload` equal to an option's value selects
            it on every page without sending anything; other values are an error for catch nodes.
            """ + WidgetDeclarations.ActionHelp + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Action(
            new PropertyDeclaration("options", PropertyKind.Json) { Default = "[\"auto\", \"manual\"]", Label = "Options (JSON array)" }),
    };

    private readonly List<(string Label, object? Value)> _options = [];

    public DropdownWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        var raw = Config.Get("options");
        if (raw is string text)
        {
            if (!JsJson.TryParse(text, out raw, out var error)) throw Config.Invalid("options", $"not valid JSON: {error?.Message}");
        }
        if (raw is not List<object?> list || list.Count == 0) throw Config.Invalid("options", "expected a JSON array with at least one option");
        foreach (var item in list)
        {
            _options.Add(item switch
            {
                string or double or bool => (JsValue.ToJsString(item), item),
                JsObject obj when obj.ContainsKey("value") => (obj.Get("label") as string ?? JsValue.ToJsString(obj.Get("value")), obj.Get("value")),
                _ => throw Config.Invalid("options", $"each option must be a string, a number or {{label, value}}, got {WidgetDeclarations.Describe(item)}"),
            });
        }
    }

    protected override JsObject WidgetOptions() => new()
    {
        ["options"] = _options.Select(o => (object?)new JsObject { ["label"] = o.Label, ["value"] = JsValue.DeepClone(o.Value) }).ToList(),
    };

    protected override object? ShowValue(object? payload) =>
        _options.Any(o => JsValue.DeepEquals(o.Value, payload)) ? payload
        : throw new HmiValueException($"{Type} has no option with value {WidgetDeclarations.Describe(payload)}");

    protected override object? CheckAction(object? value) =>
        _options.FirstOrDefault(o => JsValue.DeepEquals(o.Value, value)) is { Label: not null } option ? JsValue.DeepClone(option.Value)
        : throw new HmiValueException($"{Label} has no option with value {WidgetDeclarations.Describe(value)}");
}

/// <summary>hmi-text-input.</summary>
internal sealed class TextInputWidget : ActionWidget
{
    public static readonly NodeDeclaration Declaration = new("hmi-text-input")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-i-cursor",
        PaletteLabel = "text input",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "text input",
        Help = """
            A text field with a Send button (Enter also sends). The text goes out as `msg.payload` with **topic**.
            **maxLength** (default 200) is enforced by the page and the server. An incoming `msg.payload` fills the
            field on every page without sending anything.
            """ + WidgetDeclarations.ActionHelp + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Action(
            new PropertyDeclaration("maxLength", PropertyKind.Number) { Default = 200.0, Label = "Max length" }),
    };

    private readonly int _maxLength;

    public TextInputWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        var maxLength = Config.GetNumber("maxLength", 200);
        if (maxLength < 1 || maxLength > 100_000 || maxLength != Math.Floor(maxLength)) throw Config.Invalid("maxLength", "expected a whole number from 1 to 100000");
        _maxLength = (int)maxLength;
    }

    protected override object? InitialValue() => "";

    protected override JsObject WidgetOptions() => new() { ["maxLength"] = (double)_maxLength };

    protected override object? ShowValue(object? payload) => payload switch
    {
        null => "",
        JsObject or List<object?> => JsJson.Serialize(payload),
        _ => JsValue.ToJsString(payload),
    };

    protected override object? CheckAction(object? value)
    {
        if (value is not string text) throw new HmiValueException($"{Label} takes text, got {JsValue.TypeName(value)}");
        if (text.Length > _maxLength) throw new HmiValueException(string.Create(CultureInfo.InvariantCulture, $"{Label} takes at most {_maxLength} characters, got {text.Length}"));
        return text;
    }
}
