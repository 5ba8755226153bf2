using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>Node-RED's range node: maps a number linearly from an input range to a target range.</summary>
internal sealed class RangeNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("range")
    {
        Category = "function",
        Color = "#E2D96E",
        Icon = "range.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/range",
        Help = """
            Maps a numeric property linearly from the input range (`minin`..`maxin`) to the target range
            (`minout`..`maxout`). Only numbers are handled: a value that is not a number (after JavaScript's
            `Number()` conversion, so `"12"` works) is logged and the message is dropped; a message without the
            property passes unchanged.

            **action**:
            - `scale`: map only (values outside the input range map outside the target range);
            - `clamp`: limit the input to the input range first, so the result stays in the target range;
            - `roll`: wrap the input into the input range (modulo) before mapping;
            - `drop`: drop messages whose input is outside the input range.

            **round**: round the result to the nearest integer. **property**: the message property (default `payload`),
            read and written.

            When `minin` is greater than `maxin`, both ranges are swapped.
            """,
        Properties =
        [
            new PropertyDeclaration("minin", PropertyKind.Number) { Default = "", Required = true, Label = "input from" },
            new PropertyDeclaration("maxin", PropertyKind.Number) { Default = "", Required = true, Label = "input to" },
            new PropertyDeclaration("minout", PropertyKind.Number) { Default = "", Required = true, Label = "target from" },
            new PropertyDeclaration("maxout", PropertyKind.Number) { Default = "", Required = true, Label = "target to" },
            new PropertyDeclaration("action", PropertyKind.Select) { Default = "scale", Options = ["scale", "clamp", "roll", "drop"] },
            new PropertyDeclaration("round", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Help = "message property" },
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
        ],
    };

    private readonly string _action;
    private readonly bool _round;
    private readonly double _minIn;
    private readonly double _maxIn;
    private readonly double _minOut;
    private readonly double _maxOut;
    private readonly PropertyPath _property;

    public RangeNode(NodeSetup setup) : base(setup)
    {
        _action = Config.GetString("action", "scale");
        if (_action is not ("scale" or "clamp" or "roll" or "drop")) throw Config.Invalid("action", $"\"{_action}\" is not one of scale, clamp, roll, drop");
        _round = Config.GetBool("round", false);
        // Node-RED converts with Number(): an empty field is 0.
        var minIn = Config.GetNumber("minin", 0);
        var maxIn = Config.GetNumber("maxin", 0);
        var minOut = Config.GetNumber("minout", 0);
        var maxOut = Config.GetNumber("maxout", 0);
        if (minIn > maxIn)
        {
            (minIn, maxIn) = (maxIn, minIn);
            (minOut, maxOut) = (maxOut, minOut);
        }
        if (_round)
        {
            maxOut = Math.Floor(maxOut);
            minOut = Math.Ceiling(minOut);
        }
        (_minIn, _maxIn, _minOut, _maxOut) = (minIn, maxIn, minOut, maxOut);
        var property = Config.GetString("property", "payload");
        try
        {
            _property = PropertyPath.Parse(property.Length == 0 ? "payload" : property);
        }
        catch (PropertyPathException ex)
        {
            throw Config.Invalid("property", ex.Message);
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_property.TryGetValue(msg, out var value))
        {
            Send(msg); // no property: pass it on untouched
            return ValueTask.CompletedTask;
        }
        var n = JsValue.ToNumber(value);
        if (double.IsNaN(n))
        {
            Log($"Not a number: {JsValue.ToJsString(value)}");
            return ValueTask.CompletedTask;
        }
        switch (_action)
        {
            case "drop" when n < _minIn || n > _maxIn:
                return ValueTask.CompletedTask;
            case "clamp":
                n = Math.Min(Math.Max(n, _minIn), _maxIn);
                break;
            case "roll":
                var divisor = _maxIn - _minIn;
                // JavaScript's % keeps the sign of the dividend (as C#'s does); adding the divisor wraps negatives.
                n = ((n - _minIn) % divisor + divisor) % divisor + _minIn;
                break;
        }
        var result = (n - _minIn) / (_maxIn - _minIn) * (_maxOut - _minOut) + _minOut;
        if (_round) result = RoundHalfUp(result);
        _property.SetValue(msg, result);
        Send(msg);
        return ValueTask.CompletedTask;
    }

    /// <summary>JavaScript's Math.round: halves go up (towards +infinity), so -2.5 gives -2.</summary>
    private static double RoundHalfUp(double value) => Math.Floor(value + 0.5);
}
