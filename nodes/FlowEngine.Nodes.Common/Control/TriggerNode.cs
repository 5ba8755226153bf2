using System.Globalization;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's trigger node: sends a first value, then after a time a second one unless reset or extended; or sends
/// the first value and blocks until reset; or repeats the first value until reset (reference §5.2 trigger).
/// </summary>
/// <remarks>
/// State is per topic (or one shared entry when bytopic is "all"). Timer callbacks run on the node's mailbox; one
/// that was queued before its timer was stopped (by a reset or an extension) finds its entry replaced and does nothing.
/// </remarks>
internal sealed class TriggerNode : FlowNode
{
    private const string AllTopics = "_none";
    private static readonly IReadOnlyList<string> FirstTypes = ["str", "num", "bool", "json", "bin", "date", "env", "flow", "global", "pay", "nul"];
    private static readonly IReadOnlyList<string> SecondTypes = ["str", "num", "bool", "json", "bin", "date", "env", "flow", "global", "pay", "payl", "nul"];

    public static readonly NodeDeclaration Declaration = new("trigger")
    {
        Category = "function",
        Color = "#E6E0F8",
        Icon = "trigger.svg",
        Inputs = 1,
        Outputs = 1,
        OutputsProperty = "outputs",
        Module = "node-red",
        Set = "node-red/trigger",
        DefaultLabel = "trigger 250ms",
        Help = """
            When a message arrives, sends a message with a first value; then, depending on **duration**:

            - more than 0: after that time sends a message with the second value, unless reset first;
            - 0: nothing more, and further messages are ignored until the node is reset ("wait to be reset");
            - less than 0: resends the first message every |duration| until reset; a new message restarts the
              repetition with itself.

            While a timer runs, further messages are ignored, unless **extend** is `"true"`: then each one restarts the
            timer (the second message then carries the latest message's properties).

            - **op1** / **op1type**: the first value, put in `msg.payload`: `str`, `num`, `bool`, `json`, `bin`,
              `date`, `env`, `flow`, `global`, `pay` (the message as received) or `nul` (send nothing).
            - **op2** / **op2type**: the second value: the same types, plus `pay` (the payload of the first message)
              and `payl` (the latest message received). `flow`, `global` and `date` are read when the second
              message is sent; the others when the first message arrives.
            - String values containing `{{...}}` are mustache templates rendered against the message
              (`{{payload}}`, `{{topic}}`, `{{a.b}}`; `{{{x}}}` inserts without HTML escaping).
            - **duration** + **units** (`ms`, `s`, `min`, `hr`); **overrideDelay**: use `msg.delay` (milliseconds)
              when present.
            - **reset**: a payload value that resets the node, as does any message with `msg.reset`.
            - **bytopic**: `all` (one state for all messages) or `topic` (each value of the message property named
              by **topic**, default `topic`, is handled separately; a reset then resets only its topic).
            - **outputs**: 2 sends the second message on a second output.

            The status shows a blue dot while something is pending (with the number of topics when more than one).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("op1", PropertyKind.TypedInput) { Default = "1", Label = "Send", TypeProperty = "op1type", Options = FirstTypes },
            new PropertyDeclaration("op2", PropertyKind.TypedInput) { Default = "0", Label = "then send", TypeProperty = "op2type", Options = SecondTypes },
            new PropertyDeclaration("op1type", PropertyKind.String) { Default = "val", Help = "legacy \"val\": true/false → bool, null → null, else str" },
            new PropertyDeclaration("op2type", PropertyKind.String) { Default = "val" },
            new PropertyDeclaration("duration", PropertyKind.Number) { Default = "250", Help = "0 waits for a reset; negative repeats" },
            new PropertyDeclaration("extend", PropertyKind.Bool) { Default = "false", Label = "extend delay if new message arrives" },
            new PropertyDeclaration("overrideDelay", PropertyKind.Bool) { Default = "false", Label = "override delay with msg.delay" },
            new PropertyDeclaration("units", PropertyKind.Select) { Default = "ms", Options = ["ms", "s", "min", "hr"] },
            new PropertyDeclaration("reset", PropertyKind.String) { Default = "", Label = "Reset when msg.payload equals" },
            new PropertyDeclaration("bytopic", PropertyKind.Select) { Default = "all", Options = ["all", "topic"] },
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "topic", Help = "message property that separates topics" },
            new PropertyDeclaration("outputs", PropertyKind.Number) { Default = 1 },
        ],
    };

    private enum OperandKind { Value, Template, Payload, LatestMessage, Nothing }

    /// <summary>A prepared op1/op2 value.</summary>
    private sealed record Operand(OperandKind Kind, string Type, TypedValue? Typed, object? Constant, string? Template)
    {
        /// <summary>flow, global and date values of op2 are read again when the second message goes out.</summary>
        public bool ReadAtSend => Type is "flow" or "global" or "date";
    }

    /// <summary>What is pending for one topic.</summary>
    private sealed class TopicState
    {
        public ITimer? Timer { get; set; }
        /// <summary>Duration 0: sent the first message, now waiting for a reset.</summary>
        public bool Blocking { get; set; }
        public object? Second { get; set; }
    }

    private readonly Operand _first;
    private readonly Operand _second;
    private readonly double _durationMs;
    private readonly bool _loop;
    private readonly bool _extend;
    private readonly bool _overrideDelay;
    private readonly string _reset;
    private readonly bool _byTopic;
    private readonly PropertyPath _topicPath;
    private readonly bool _secondOutput;
    private readonly Dictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    /// <summary>op2type "payl": the latest message of each topic.</summary>
    private readonly Dictionary<string, JsObject> _latest = new(StringComparer.Ordinal);

    public TriggerNode(NodeSetup setup) : base(setup)
    {
        _first = PrepareOperand("op1", "1", first: true);
        _second = PrepareOperand("op2", "0", first: false);

        var duration = JsSemantics.ParseFloat(Config.Get("duration"));
        if (double.IsNaN(duration)) duration = 250;
        _extend = Config.GetBool("extend", false);
        if (duration < 0)
        {
            _loop = true;
            duration = -duration;
            _extend = false;
        }
        _durationMs = Config.GetString("units") switch
        {
            "s" => duration * 1000,
            "min" => duration * 60_000,
            "hr" => duration * 3_600_000,
            _ => duration,
        };
        _overrideDelay = Config.GetBool("overrideDelay", false);
        _reset = Config.GetString("reset");
        _byTopic = Config.GetString("bytopic", "all") == "topic";
        var topic = Config.GetString("topic") is { Length: > 0 } t ? t : "topic";
        try
        {
            _topicPath = PropertyPath.Parse(topic);
        }
        catch (PropertyPathException ex)
        {
            throw Config.Invalid("topic", ex.Message);
        }
        _secondOutput = Config.GetNumber("outputs", 1) == 2;
    }

    private Operand PrepareOperand(string property, string fallback, bool first)
    {
        // Node-RED: n.op1 || "1" and n.op2 || "0", so an empty value means the default.
        var rawValue = Config.Get(property);
        var value = ControlValues.IsFalsy(rawValue) ? fallback : JsValue.ToJsString(rawValue);
        var type = Config.GetString(property + "type") is { Length: > 0 } ty ? ty : "str";
        if (type == "date" && value == fallback) value = "";
        if (type == "val")
        {
            // The legacy "val" type of old flows (§1.12).
            if (value is "true" or "false") type = "bool";
            else if (value == "null") return new Operand(OperandKind.Value, "null", null, null, null);
            else type = "str";
        }
        switch (type)
        {
            case "nul":
                return new Operand(OperandKind.Nothing, type, null, null, null);
            case "pay":
                return new Operand(OperandKind.Payload, type, null, null, null);
            case "payl" when !first:
                return new Operand(OperandKind.LatestMessage, type, null, null, null);
            case "str" when value.Contains("{{", StringComparison.Ordinal):
                return new Operand(OperandKind.Template, type, null, null, value);
            case "str" or "num" or "bool" or "json" or "bin" or "date" or "env" or "flow" or "global" or "msg" or "jsonata" or "re":
                try
                {
                    return new Operand(OperandKind.Value, type, TypedValue.Create(type, value, Services.Expressions), null, null);
                }
                catch (TypedValueException ex)
                {
                    throw Config.Invalid(property, ex.Message);
                }
            default:
                // A type Node-RED does not evaluate keeps its stored text.
                return new Operand(OperandKind.Value, type, null, value, null);
        }
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _topics.Clear();
        SetStatus(NodeStatus.Clear);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var topic = AllTopics;
        if (_byTopic && _topicPath.GetValue(msg) is { } topicValue && JsValue.IsTruthy(topicValue)) topic = JsValue.ToJsString(topicValue);
        var delay = _durationMs;
        if (_overrideDelay && msg.TryGetValue("delay", out var delayValue) && JsSemantics.ParseFloat(delayValue) is var parsed && !double.IsNaN(parsed))
        {
            delay = parsed;
        }

        if (!_topics.TryGetValue(topic, out var state)) _topics[topic] = state = new TopicState();

        if (IsReset(msg))
        {
            StopTimer(state.Timer);
            _topics.Remove(topic);
            SetStatus(CurrentStatus());
            return ValueTask.CompletedTask;
        }
        if (_second.Kind == OperandKind.LatestMessage) _latest[topic] = NodeRunner.CloneMessage(msg);

        if ((state.Timer is null && !state.Blocking) || _loop)
        {
            Start(msg, topic, state, delay);
        }
        else if (_extend && delay > 0)
        {
            Extend(msg, topic, state, delay);
        }
        // Otherwise a timer is running (or the node waits for a reset): the message is ignored.
        return ValueTask.CompletedTask;
    }

    private bool IsReset(JsObject msg) =>
        msg.ContainsKey("reset") ||
        (_reset.Length > 0 && msg.TryGetValue("payload", out var payload) && payload is not null && JsValue.ToJsString(payload) == _reset);

    /// <summary>The first message of a cycle: work out both values, arm the timer, send the first.</summary>
    private void Start(JsObject msg, string topic, TopicState state, double delay)
    {
        // The second value is worked out first, from the message as it arrived.
        state.Second = _second.Kind switch
        {
            OperandKind.Payload => JsValue.DeepClone(msg.Get("payload")),
            OperandKind.Template => MustacheLite.Render(_second.Template!, msg),
            OperandKind.Value => Evaluate(_second, msg),
            _ => null,
        };
        switch (_first.Kind)
        {
            case OperandKind.Template:
                msg["payload"] = MustacheLite.Render(_first.Template!, msg);
                break;
            case OperandKind.Value:
                msg["payload"] = Evaluate(_first, msg);
                break;
        }

        if (delay == 0)
        {
            state.Blocking = true;
        }
        else if (_loop)
        {
            StopTimer(state.Timer);
            state.Timer = null;
            if (_first.Kind != OperandKind.Nothing)
            {
                var repeated = NodeRunner.CloneMessage(msg);
                var period = Period(delay);
                ITimer? timer = null;
                timer = StartTimer(period, period, () =>
                {
                    if (!IsCurrent(topic, state, timer)) return ValueTask.CompletedTask;
                    if (_first.Type == "date") repeated["payload"] = Math.Floor(JsValue.ToEpochMilliseconds(Clock.GetUtcNow().UtcDateTime));
                    Send(NodeRunner.CloneMessage(repeated));
                    return ValueTask.CompletedTask;
                });
                state.Timer = timer;
            }
        }
        else if (state.Timer is null)
        {
            ITimer? timer = null;
            timer = StartTimer(Period(delay), Timeout.InfiniteTimeSpan, () =>
            {
                if (IsCurrent(topic, state, timer)) SendSecond(msg, topic, state);
                return ValueTask.CompletedTask;
            });
            state.Timer = timer;
        }

        SetStatus(CurrentStatus());
        if (_first.Kind != OperandKind.Nothing) Send(NodeRunner.CloneMessage(msg));
    }

    /// <summary>The timer of a cycle that was not extended: the first message (with op1 applied) carries the second value.</summary>
    private void SendSecond(JsObject first, string topic, TopicState state)
    {
        if (_second.Kind != OperandKind.Nothing)
        {
            if (_second.ReadAtSend && !TryEvaluateAtSend(first, state)) return;
            if (_second.Kind == OperandKind.LatestMessage)
            {
                if (_latest.Remove(topic, out var latest)) SendOnSecondPort(latest);
            }
            else
            {
                var msg2 = NodeRunner.CloneMessage(first);
                msg2["payload"] = state.Second;
                SendOnSecondPort(msg2);
            }
        }
        _topics.Remove(topic);
        SetStatus(CurrentStatus());
    }

    /// <summary>A message while a timer runs, with extend on: restart the timer; the latest message carries the second value.</summary>
    private void Extend(JsObject msg, string topic, TopicState state, double delay)
    {
        if (_second.Kind == OperandKind.LatestMessage) state.Second = JsValue.DeepClone(msg.Get("payload"));
        StopTimer(state.Timer);
        ITimer? timer = null;
        timer = StartTimer(Period(delay), Timeout.InfiniteTimeSpan, () =>
        {
            if (!IsCurrent(topic, state, timer)) return ValueTask.CompletedTask;
            JsObject? msg2 = null;
            if (_second.Kind != OperandKind.Nothing)
            {
                // Node-RED reads flow and global again here, but not date (kept as read at the start).
                if (_second.Type is "flow" or "global" && !TryEvaluateAtSend(msg, state)) return ValueTask.CompletedTask;
                msg2 = NodeRunner.CloneMessage(msg);
                msg2["payload"] = state.Second;
            }
            _topics.Remove(topic);
            SetStatus(CurrentStatus());
            if (msg2 is not null) SendOnSecondPort(msg2);
            return ValueTask.CompletedTask;
        });
        state.Timer = timer;
    }

    private bool TryEvaluateAtSend(JsObject msg, TopicState state)
    {
        try
        {
            state.Second = Evaluate(_second, msg);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            // Node-RED reports this without a message: the one that started the cycle was handled long ago.
            ReportError(ex.Message);
            return false;
        }
    }

    private void SendOnSecondPort(JsObject msg)
    {
        if (_secondOutput) Send(1, msg);
        else Send(msg);
    }

    private object? Evaluate(Operand operand, JsObject msg) =>
        operand.Typed is not null ? operand.Typed.Evaluate(this, msg) : JsValue.DeepClone(operand.Constant);

    private bool IsCurrent(string topic, TopicState state, ITimer? timer) =>
        timer is not null && state.Timer == timer && _topics.TryGetValue(topic, out var current) && ReferenceEquals(current, state);

    /// <summary>setTimeout/setInterval never wait less than a millisecond.</summary>
    private static TimeSpan Period(double milliseconds) =>
        ControlValues.Wait(milliseconds) is var wait && wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;

    /// <summary>No status when idle, a blue dot with one pending topic, the topic count with more.</summary>
    private NodeStatus CurrentStatus() => _topics.Count switch
    {
        0 => NodeStatus.Clear,
        1 => new NodeStatus("blue", "dot"),
        var n => new NodeStatus("blue", "dot", n.ToString(CultureInfo.InvariantCulture)),
    };
}

/// <summary>
/// The small part of mustache the trigger node needs for its string values: <c>{{name}}</c> (HTML-escaped),
/// <c>{{{name}}}</c> and <c>{{&amp; name}}</c> (raw), with dotted names looked up in the message; comments are removed.
/// Sections and partials are not supported and render as nothing.
/// </summary>
internal static class MustacheLite
{
    public static string Render(string template, JsObject context)
    {
        var sb = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }
            sb.Append(template, i, open - i);
            var triple = open + 2 < template.Length && template[open + 2] == '{';
            var closer = triple ? "}}}" : "}}";
            var contentStart = open + (triple ? 3 : 2);
            var close = template.IndexOf(closer, contentStart, StringComparison.Ordinal);
            if (close < 0)
            {
                sb.Append(template, open, template.Length - open);
                break;
            }
            var tag = template[contentStart..close].Trim();
            i = close + closer.Length;
            if (triple)
            {
                sb.Append(Lookup(context, tag));
                continue;
            }
            if (tag.Length == 0) continue;
            switch (tag[0])
            {
                case '&':
                    sb.Append(Lookup(context, tag[1..].Trim()));
                    break;
                case '!' or '#' or '^' or '/' or '>' or '=':
                    break;
                default:
                    sb.Append(Escape(Lookup(context, tag)));
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Lookup(JsObject context, string name)
    {
        object? current = context;
        if (name != ".")
        {
            foreach (var part in name.Split('.'))
            {
                current = current switch
                {
                    JsObject obj => obj.Get(part),
                    List<object?> list when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
                    string s when part == "length" => (double)s.Length,
                    List<object?> list when part == "length" => (double)list.Count,
                    _ => null,
                };
                if (current is null) return "";
            }
        }
        return current is null ? "" : JsValue.ToJsString(current);
    }

    /// <summary>mustache.js's escapeHtml set.</summary>
    private static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"'/`=") < 0) return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '/' => "&#x2F;",
                '`' => "&#x60;",
                '=' => "&#x3D;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
