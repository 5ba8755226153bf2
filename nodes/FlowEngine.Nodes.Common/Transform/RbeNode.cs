using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>
/// Node-RED's rbe node ("filter" in the palette): report by exception. Passes a message only when its value changed
/// (rbe, rbei) or moved by more (deadband) or less (narrowband) than a gap from a reference value, per topic.
/// </summary>
internal sealed partial class RbeNode : FlowNode
{
    private static readonly string[] Functions = ["rbe", "rbei", "deadband", "deadbandEq", "narrowband", "narrowbandEq"];

    public static readonly NodeDeclaration Declaration = new("rbe")
    {
        Category = "function",
        PaletteLabel = "filter",
        Color = "#E2D96E",
        Icon = "rbe.png",
        Inputs = 1,
        Outputs = 1,
        // Node-RED's rbe input handler takes no done callback: complete nodes never fire for it.
        ReportsCompletion = false,
        Module = "node-red",
        Set = "node-red/rbe",
        Help = """
            Report by exception: passes a message only when its value changes enough, separately per topic.

            **func** (mode):
            - `rbe`: block unless the value changes (objects compared deeply); the first value passes;
            - `rbei`: the same, but the first value is only remembered;
            - `deadband`: block unless |value − reference| > gap; the first value passes;
            - `deadbandEq`: block unless |value − reference| ≥ gap;
            - `narrowband`: block if |value − reference| > gap (passes when ≤ gap);
            - `narrowbandEq`: block if |value − reference| ≥ gap (passes when < gap).

            **gap**: a number, or `N%` for a percentage of the reference value. **start**: the first reference for the
            narrowband modes (blank: the first value received). **inout**: compare to the last value sent (`out`) or
            to the last value received (`in`). Band modes read the number with JavaScript's `parseFloat`; a value that
            has none is dropped with the warning "no number found in payload".

            **septopics**: keep a separate reference per topic (the property named by **topi**, default `topic`).
            **property**: the value to watch (default `payload`); messages without it are dropped.

            `msg.reset` clears the remembered value of the message's topic (or of all topics when topics are not
            separated or the message has no topic), then the message is handled as usual.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("func", PropertyKind.Select) { Default = "rbe", Options = Functions },
            new PropertyDeclaration("gap", PropertyKind.String)
            {
                Default = "",
                Validate = value => value is double || GapPattern().IsMatch(JsValue.ToJsString(value)) ? null : "expected a number or a percentage such as 5%",
            },
            new PropertyDeclaration("start", PropertyKind.String) { Default = "", Help = "blank: use the first value received" },
            new PropertyDeclaration("inout", PropertyKind.Select) { Default = "out", Options = ["out", "in"] },
            new PropertyDeclaration("septopics", PropertyKind.Bool) { Default = true },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload" },
            new PropertyDeclaration("topi", PropertyKind.String) { Default = "topic" },
        ],
    };

    [GeneratedRegex(@"^(\d*[.]*\d*|)(%|)$")]
    private static partial Regex GapPattern();

    private const string NoTopic = "_no_topic";

    private readonly string _func;
    private readonly bool _percent;
    private readonly double _gap;
    private readonly double? _start;
    private readonly bool _compareToInput;
    private readonly bool _separateTopics;
    private readonly PropertyPath _property;
    private readonly PropertyPath _topic;
    private readonly Dictionary<string, object?> _previous = new(StringComparer.Ordinal);
    /// <summary>The deadband and narrowband modes' reference values: numbers, kept unboxed (one store per message).</summary>
    private readonly Dictionary<string, double> _references = new(StringComparer.Ordinal);
    // The mode, decided once: the per-message path compares no strings.
    private readonly bool _reportByException;
    private readonly bool _narrow;
    private readonly bool _passOnEqual;
    private readonly bool _passWhenFurther;

    public RbeNode(NodeSetup setup) : base(setup)
    {
        _func = Config.GetString("func", "rbe");
        if (_func.Length == 0) _func = "rbe";
        if (Array.IndexOf(Functions, _func) < 0) throw Config.Invalid("func", $"\"{_func}\" is not one of {string.Join(", ", Functions)}");
        var gap = Config.GetString("gap", "0").Trim();
        if (gap.Length == 0) gap = "0";
        if (gap.EndsWith('%'))
        {
            _percent = true;
            _gap = JsSemantics.ParseFloat(gap);
        }
        else
        {
            _gap = JsValue.StringToNumber(gap);
        }
        if (double.IsNaN(_gap)) throw Config.Invalid("gap", $"expected a number or a percentage such as 5%, got \"{gap}\"");
        var start = Config.GetString("start").Trim();
        if (start.Length > 0)
        {
            var number = JsValue.StringToNumber(start);
            if (double.IsNaN(number)) throw Config.Invalid("start", $"expected a number, got \"{start}\"");
            _start = number;
        }
        _compareToInput = Config.GetString("inout", "out") == "in";
        _reportByException = _func is "rbe" or "rbei";
        _narrow = _func is "narrowband" or "narrowbandEq";
        _passOnEqual = _func is "deadbandEq" or "narrowband";
        _passWhenFurther = _func is "deadband" or "deadbandEq";
        // Only an explicit boolean false turns topic separation off (Node-RED).
        _separateTopics = Config.Get("septopics") is not false;
        _property = ParsePath("property", "payload");
        _topic = ParsePath("topi", "topic");
    }

    private PropertyPath ParsePath(string property, string fallback)
    {
        var text = Config.GetString(property, fallback);
        try
        {
            return PropertyPath.Parse(text.Length == 0 ? fallback : text);
        }
        catch (PropertyPathException ex)
        {
            throw Config.Invalid(property, ex.Message);
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var hasTopic = _topic.TryGetValue(msg, out var topic);
        if (msg.ContainsKey("reset"))
        {
            // Node-RED forgets the value of msg.topic here even when another topic property is configured; the
            // configured one is what the state is kept by, so that is what is cleared.
            if (_separateTopics && hasTopic && topic is string { Length: > 0 } name)
            {
                _previous.Remove(name);
                _references.Remove(name);
            }
            else
            {
                _previous.Clear();
                _references.Clear();
            }
        }
        if (!_property.TryGetValue(msg, out var value)) return ValueTask.CompletedTask;
        var key = _separateTopics && hasTopic && JsValue.IsTruthy(topic) ? JsValue.ToJsString(topic) : NoTopic;
        if (_reportByException)
        {
            ReportByException(msg, key, value);
        }
        else
        {
            Band(msg, key, value);
        }
        return ValueTask.CompletedTask;
    }

    private void ReportByException(JsObject msg, string key, object? value)
    {
        var send = _func != "rbei" || _previous.ContainsKey(key);
        if (JsSemantics.TypeOf(value) == "object")
        {
            // Objects (and null) compare deeply. Node-RED starts the comparison from an empty object, so a first
            // value of {} is swallowed.
            if (!_previous.TryGetValue(key, out var before) || JsSemantics.TypeOf(before) != "object")
            {
                _previous[key] = before = new JsObject();
            }
            if (!JsValue.DeepEquals(value, before))
            {
                _previous[key] = JsValue.DeepClone(value);
                if (send) Send(msg);
            }
            return;
        }
        if (!_previous.TryGetValue(key, out var previous) || !StrictEquals(value, previous))
        {
            _previous[key] = value;
            if (send) Send(msg);
        }
    }

    /// <summary>JavaScript's === on primitives: NaN is never equal to itself.</summary>
    private static bool StrictEquals(object? a, object? b) => (a, b) switch
    {
        (double x, double y) => x == y,
        (string x, string y) => x == y,
        (bool x, bool y) => x == y,
        _ => false,
    };

    private void Band(JsObject msg, string key, object? value)
    {
        var n = JsSemantics.ParseFloat(value);
        if (double.IsNaN(n))
        {
            Warn("no number found in payload");
            return;
        }
        ref var stored = ref CollectionsMarshal.GetValueRefOrAddDefault(_references, key, out var known);
        var reference = known ? stored : double.NaN;
        if (!known && _narrow)
        {
            reference = _start ?? n;
            known = true;
        }
        var gap = _percent ? Math.Abs(reference * _gap / 100) : _gap;
        if (double.IsNaN(gap)) gap = 0; // Node-RED: "|| 0" when there is no reference yet
        if (!known)
        {
            // Deadband modes: the first value always passes.
            reference = n - gap - 1;
        }
        var difference = Math.Abs(n - reference);
        var pass = difference == gap
            ? _passOnEqual
            : difference > gap
                ? _passWhenFurther
                : difference < gap && _narrow;
        if (pass && !_compareToInput) reference = n;
        stored = _compareToInput ? n : reference;
        if (pass) Send(msg);
    }
}
