using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Scale;

/// <summary>Linear scaling from a raw range to an engineering range, clamping, unit conversion and rounding.</summary>
internal sealed class ScaleNode : IndustrialNode
{
    public static readonly NodeDeclaration Declaration = new("scale")
    {
        Category = "industrial",
        Color = "#C7E9C0",
        Icon = "range.svg",
        PaletteLabel = "scale",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "scale",
        Help = $"""
            Turns a raw value into an engineering value, in this order:

            1. **mode** `linear`: eng = engMin + (raw − rawMin) × (engMax − engMin) / (rawMax − rawMin)
               (a 4–20 mA input: rawMin 4, rawMax 20). `none` leaves the value as it is.
            2. **clamp**: limits the result to the engineering range.
            3. **fromUnit** → **toUnit**: converts between units of the same quantity (absolute temperatures, not
               differences). Units: {string.Join(", ", Units.Symbols)}; also °C, °F, C, F, l/min, lpm, m³/h...
               A unit that is not known, or two units of different quantities, are refused at deploy.
            4. **decimals** (empty = no rounding): rounds half away from zero.

            * **property** (`payload`): the raw value (a number, a numeric string or a boolean); anything else is an
              error for catch nodes. **target** (empty = same as property): where the result is written.
            * **qualityProperty** (`quality`): when the raw value is outside [rawMin, rawMax] it is set to
              **outOfRangeQuality** (`bad` or `uncertain`); otherwise it is set to `good` only when the message had no
              quality, so an upstream quality is never improved. Empty: no quality is written.
            * **unitProperty** (`unit`): when a unit is configured, the unit of the result (toUnit, or fromUnit) is
              written there. Empty: not written.

            ### Output
            The same message with the result in **target**. The node keeps no state.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value" },
            new PropertyDeclaration("target", PropertyKind.String) { Default = "", Label = "Result to (empty: same)" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "linear", Options = ["linear", "none"], Label = "Scaling" },
            new PropertyDeclaration("rawMin", PropertyKind.Number) { Default = 0.0, Label = "Raw minimum" },
            new PropertyDeclaration("rawMax", PropertyKind.Number) { Default = 100.0, Label = "Raw maximum" },
            new PropertyDeclaration("engMin", PropertyKind.Number) { Default = 0.0, Label = "Engineering minimum" },
            new PropertyDeclaration("engMax", PropertyKind.Number) { Default = 100.0, Label = "Engineering maximum" },
            new PropertyDeclaration("clamp", PropertyKind.Bool) { Default = false, Label = "Clamp to engineering range" },
            new PropertyDeclaration("fromUnit", PropertyKind.String) { Default = "", Label = "Unit of the scaled value", Validate = KnownUnit },
            new PropertyDeclaration("toUnit", PropertyKind.String) { Default = "", Label = "Convert to unit", Validate = KnownUnit },
            new PropertyDeclaration("decimals", PropertyKind.Number) { Default = "", Label = "Decimals (empty: no rounding)" },
            new PropertyDeclaration("qualityProperty", PropertyKind.String) { Default = "quality", Label = "Quality" },
            new PropertyDeclaration("outOfRangeQuality", PropertyKind.Select) { Default = "bad", Options = ["bad", "uncertain"], Label = "Quality when out of raw range" },
            new PropertyDeclaration("unitProperty", PropertyKind.String) { Default = "unit", Label = "Unit to" },
        ],
    };

    private static string? KnownUnit(object? value) =>
        value is string s && s.Trim().Length > 0 && Units.Find(s) is null ? $"unknown unit \"{s}\"" : null;

    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _targetPath;
    private readonly bool _linear;
    private readonly double _rawMin;
    private readonly double _rawMax;
    private readonly double _engMin;
    private readonly double _engMax;
    private readonly bool _clamp;
    private readonly Unit? _from;
    private readonly Unit? _to;
    private readonly int? _decimals;
    private readonly PropertyPath? _qualityPath;
    private readonly string _outOfRangeQuality;
    private readonly PropertyPath? _unitPath;

    public ScaleNode(NodeSetup setup) : base(setup)
    {
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _targetPath = MessageValues.OptionalPath(Config, "target") ?? _valuePath;
        _linear = Config.GetString("mode", "linear") switch
        {
            "linear" or "" => true,
            "none" => false,
            var other => throw Config.Invalid("mode", $"expected linear or none, got \"{other}\""),
        };
        _rawMin = Config.GetNumber("rawMin", 0);
        _rawMax = Config.GetNumber("rawMax", 100);
        _engMin = Config.GetNumber("engMin", 0);
        _engMax = Config.GetNumber("engMax", 100);
        if (_linear && _rawMin == _rawMax) throw Config.Invalid("rawMax", $"the raw range is empty (rawMin = rawMax = {JsValue.FormatNumber(_rawMin)})");
        _clamp = Config.GetBool("clamp", false);
        _from = ReadUnit("fromUnit");
        _to = ReadUnit("toUnit");
        if (_to is not null && _from is null) throw Config.Invalid("fromUnit", $"a unit to convert from is needed to convert to {_to.Symbol}");
        if (_to is not null && _from is not null && _to.Quantity != _from.Quantity)
        {
            throw Config.Invalid("toUnit", $"cannot convert {_from.Symbol} ({_from.Quantity}) to {_to.Symbol} ({_to.Quantity})");
        }
        if (Config.GetNumberOrNull("decimals") is { } decimals)
        {
            if (decimals < 0 || decimals > 15 || decimals != Math.Floor(decimals)) throw Config.Invalid("decimals", "expected a whole number from 0 to 15");
            _decimals = (int)decimals;
        }
        _qualityPath = Config.Has("qualityProperty") ? MessageValues.OptionalPath(Config, "qualityProperty") : MessageValues.Path(Config, "qualityProperty", "quality");
        _outOfRangeQuality = Config.GetString("outOfRangeQuality", "bad") switch
        {
            "bad" or "" => "bad",
            "uncertain" => "uncertain",
            var other => throw Config.Invalid("outOfRangeQuality", $"expected bad or uncertain, got \"{other}\""),
        };
        _unitPath = Config.Has("unitProperty") ? MessageValues.OptionalPath(Config, "unitProperty") : MessageValues.Path(Config, "unitProperty", "unit");
    }

    private Unit? ReadUnit(string property)
    {
        var text = Config.GetString(property, "").Trim();
        if (text.Length == 0) return null;
        return Units.Find(text) ?? throw Config.Invalid(property, $"unknown unit \"{text}\" (known: {string.Join(", ", Units.Symbols)})");
    }

    /// <summary>The whole conversion, without the message (for tests of exact values).</summary>
    internal double Convert(double raw, out bool outOfRange)
    {
        outOfRange = raw < Math.Min(_rawMin, _rawMax) || raw > Math.Max(_rawMin, _rawMax);
        var value = _linear ? _engMin + (raw - _rawMin) * (_engMax - _engMin) / (_rawMax - _rawMin) : raw;
        if (_clamp) value = Math.Clamp(value, Math.Min(_engMin, _engMax), Math.Max(_engMin, _engMax));
        if (_from is not null && _to is not null && _from != _to) value = _to.FromBase(_from.ToBase(value));
        if (_decimals is { } decimals) value = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        return value;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var raw = _valuePath.GetValue(msg);
        if (!MessageValues.TryNumber(raw, out var number))
        {
            throw MessageValues.NotANumber(_valuePath, MessageValues.TagOf(TopicPath, msg), raw);
        }
        var result = Convert(number, out var outOfRange);
        _targetPath.SetValue(msg, result);
        if (_qualityPath is not null)
        {
            // Out of range only ever lowers the quality; an in-range value does not overwrite what came from upstream.
            var hasQuality = _qualityPath.TryGetValue(msg, out var existing) && existing is not null;
            if (outOfRange && _linear)
            {
                if (!hasQuality || Quality.Parse(existing) < Quality.Parse(_outOfRangeQuality)) _qualityPath.SetValue(msg, _outOfRangeQuality);
            }
            else if (!hasQuality)
            {
                _qualityPath.SetValue(msg, "good");
            }
        }
        if (_unitPath is not null && (_to ?? _from) is { } unit) _unitPath.SetValue(msg, unit.Symbol);
        Send(msg);
        return ValueTask.CompletedTask;
    }

    private static readonly PropertyPath TopicPath = PropertyPath.Parse("topic");
}
