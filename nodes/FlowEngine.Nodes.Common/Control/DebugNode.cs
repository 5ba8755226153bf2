using System.Globalization;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's debug node: shows a message property, the whole message or a JSONata result in the debug sidebar
/// (through the runtime's observers), the log, and/or its own status (reference §5.2 debug, §4.4).
/// </summary>
/// <remarks>
/// The sidebar value is handed over as it is; encoding it for the comms channel (§4.4, debugMaxLength) is the host's
/// job, so that every observer sees the real value.
/// </remarks>
internal sealed class DebugNode : FlowNode
{
    /// <summary>Node-RED shows the counter at once only when messages are further apart than this.</summary>
    private static readonly TimeSpan CounterQuietTime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan CounterDelay = TimeSpan.FromMilliseconds(200);

    public static readonly NodeDeclaration Declaration = new("debug")
    {
        Category = "common",
        Color = "#87a980",
        Icon = "debug.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/debug",
        DefaultLabel = "msg.payload",
        Help = """
            Shows messages in the debug sidebar, the system log and/or under the node.

            - **complete**: what to show. `"payload"` (or the legacy `"false"`) shows `msg.payload`; `"true"` (type
              `full`) shows the whole message; any other text is a message property path such as `payload.temp`;
              with **targetType** `jsonata` it is a JSONata expression evaluated against the message.
            - **targetType**: `msg`, `full` or `jsonata` (how **complete** is read).
            - **active**: show in the sidebar (the node's button and POST `/debug/:id/enable|disable` toggle it).
            - **tosidebar**: send to the debug sidebar (default on).
            - **console**: also write the value to the log (information level).
            - **tostatus**: show a status under the node, chosen by **statusType**:
              `auto` (the same value as the output; for a message with `msg.error` the error text in red; for a message
              from a status node that status), `msg` (the message property named by **statusVal**), `jsonata`
              (**statusVal** is an expression) or `counter` (the number of messages received). Status text is cut to
              `debugStatusLength` characters (32) followed by "...".

            Messages carrying `msg.status.source.id` equal to this node's id (its own status, fed back by a status
            node) are ignored. The sidebar entry names the property shown, and `msg.topic`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "_DEFAULT_" },
            new PropertyDeclaration("active", PropertyKind.Bool) { Default = true },
            new PropertyDeclaration("tosidebar", PropertyKind.Bool) { Default = true, Label = "debug window" },
            new PropertyDeclaration("console", PropertyKind.Bool) { Default = false, Label = "system console" },
            new PropertyDeclaration("tostatus", PropertyKind.Bool) { Default = false, Label = "node status (32 characters)" },
            new PropertyDeclaration("complete", PropertyKind.TypedInput)
            {
                Default = "false",
                Label = "Output",
                TypeProperty = "targetType",
                Options = ["msg", "full", "jsonata"],
            },
            new PropertyDeclaration("targetType", PropertyKind.Select) { Default = null, Options = ["msg", "full", "jsonata"] },
            new PropertyDeclaration("statusVal", PropertyKind.TypedInput)
            {
                Default = "",
                TypeProperty = "statusType",
                Options = ["auto", "msg", "jsonata", "counter"],
            },
            new PropertyDeclaration("statusType", PropertyKind.Select) { Default = "auto", Options = ["auto", "msg", "jsonata", "counter"] },
        ],
    };

    private readonly bool _toSidebar;
    private readonly bool _toConsole;
    private readonly bool _toStatus;
    /// <summary>"payload", "true" (whole message) or a property path; null when a JSONata expression is shown.</summary>
    private readonly string? _complete;
    private readonly PropertyPath? _completePath;
    private readonly string? _expressionText;
    private readonly ICompiledExpression? _expression;
    private readonly string _statusType;
    private readonly PropertyPath? _statusPath;
    private readonly string? _statusExpressionText;
    private readonly ICompiledExpression? _statusExpression;
    private readonly int _statusLength;
    private volatile bool _active;
    private NodeStatus? _lastStatus;
    private long _counter;
    private DateTimeOffset _lastMessageTime;
    private ITimer? _counterTimer;
    private NodeIdentity? _identity;

    public DebugNode(NodeSetup setup) : base(setup)
    {
        if (Config.GetString("targetType") == "jsonata")
        {
            _expressionText = Config.GetString("complete");
            _expression = Compile("complete", _expressionText);
        }
        else
        {
            // (complete || "payload").toString(), and the legacy "false" means payload.
            var complete = ControlValues.IsFalsy(Config.Get("complete")) ? "payload" : Config.GetString("complete");
            _complete = complete == "false" ? "payload" : complete;
            if (_complete != "true") _completePath = ParsePath("complete", _complete);
        }

        _active = Config.GetBool("active", true);
        _toSidebar = Config.GetBool("tosidebar", true);
        _toConsole = Config.GetBool("console", false);
        _toStatus = Config.GetBool("tostatus", false);
        _statusType = Config.GetString("statusType", "auto") is { Length: > 0 } type ? type : "auto";
        var statusVal = Config.GetString("statusVal") is { Length: > 0 } value ? value : _complete ?? "";
        if (_toStatus && _statusType == "jsonata")
        {
            _statusExpressionText = statusVal;
            _statusExpression = Compile("statusVal", statusVal);
        }
        else if (_toStatus && _statusType == "msg")
        {
            _statusPath = ParsePath("statusVal", statusVal);
        }
        _statusLength = Services.Settings.DebugStatusLength > 0 ? Services.Settings.DebugStatusLength : 32;
        _lastMessageTime = Clock.GetUtcNow();
    }

    private NodeIdentity Identity => _identity ??= new NodeIdentity(Id, Type, Name, Setup.FlowId, Setup.Alias,
        GetEnv("NR_NODE_PATH") as string ?? (Setup.FlowId is null ? Id : $"{Setup.FlowId}/{Id}"));

    /// <summary>POST /debug/:id/enable|disable. Called from the admin API's thread, hence the volatile flag.</summary>
    public override bool SetActive(bool active)
    {
        _active = active;
        return true;
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        // Node-RED shows the counter from the start; other status types show nothing until the first message.
        if (_toStatus && _statusType == "counter") ShowCounter();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_toStatus) SetStatus(NodeStatus.Clear);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.Get("status") is JsObject status && status.Get("source") is JsObject source && source.Get("id") is string sourceId && sourceId == Id)
        {
            return ValueTask.CompletedTask;
        }
        if (_toStatus) UpdateStatus(msg);

        if (_complete == "true")
        {
            if (_toConsole) Log("\n" + ValueInspector.Inspect(msg, depth: 10));
            if (_active && _toSidebar) Publish(msg, null, msg);
            return ValueTask.CompletedTask;
        }
        if (!TryPrepareValue(msg, out var output, out var defined, out var property)) return ValueTask.CompletedTask;
        if (_toConsole) Log(ConsoleText(output, defined));
        if (_active && _toSidebar) Publish(output, property, msg);
        return ValueTask.CompletedTask;
    }

    private void Publish(object? value, string? property, JsObject msg)
    {
        var topic = msg.TryGetValue("topic", out var t) && t is not null ? JsValue.ToJsString(t) : null;
        Services.Observers.Debug(new DebugEvent(Identity, value, property, topic, ToSidebar: true, Clock.GetUtcNow().UtcDateTime));
    }

    /// <summary>The value shown: the JSONata result or the configured property. False after an expression error (reported).</summary>
    private bool TryPrepareValue(JsObject msg, out object? output, out bool defined, out string? property)
    {
        property = null;
        if (_expression is not null)
        {
            defined = TryEvaluate(_expression, _expressionText!, msg, out output);
            return defined;
        }
        property = _complete;
        defined = _completePath!.TryGetValue(msg, out output);
        return true;
    }

    private bool TryEvaluate(ICompiledExpression expression, string text, JsObject msg, out object? value)
    {
        try
        {
            value = expression.Evaluate(msg, TypedValue.ScopeFor(this));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            // Node-RED reports this without the message, so it is logged rather than offered to catch nodes.
            ReportError($"Invalid JSONata expression: {text} ({ex.Message})");
            value = null;
            return false;
        }
    }

    private void UpdateStatus(JsObject msg)
    {
        if (_statusType == "counter")
        {
            UpdateCounter();
            return;
        }

        object? output;
        bool defined;
        if (_statusType == "auto")
        {
            if (_complete == "true")
            {
                defined = msg.TryGetValue("payload", out output);
            }
            else if (!TryPrepareValue(msg, out output, out defined, out _))
            {
                return;
            }
        }
        else if (_statusExpression is not null)
        {
            if (!TryEvaluate(_statusExpression, _statusExpressionText!, msg, out output)) return;
            defined = true;
        }
        else
        {
            defined = _statusPath!.TryGetValue(msg, out output);
        }

        var text = output is string s ? s : ValueInspector.Inspect(output, defined);
        var fill = "grey";
        var shape = "dot";
        // A value that looks like a status object is shown as that status.
        if (output is JsObject o && JsValue.IsTruthy(o.Get("fill")) && JsValue.IsTruthy(o.Get("shape")) && JsValue.IsTruthy(o.Get("text")))
        {
            fill = JsValue.ToJsString(o.Get("fill"));
            shape = JsValue.ToJsString(o.Get("shape"));
            text = JsValue.ToJsString(o.Get("text"));
        }
        if (_statusType == "auto")
        {
            if (msg.TryGetValue("error", out var error))
            {
                fill = "red";
                text = error is JsObject e && e.Get("message") is { } message ? JsValue.ToJsString(message) : "";
            }
            if (msg.TryGetValue("status", out var statusValue))
            {
                var statusObject = statusValue as JsObject;
                fill = StringOr(statusObject?.Get("fill"), "grey");
                shape = StringOr(statusObject?.Get("shape"), "ring");
                text = StringOr(statusObject?.Get("text"), "");
            }
        }
        if (text.Length > _statusLength) text = string.Concat(text.AsSpan(0, _statusLength), "...");
        var next = new NodeStatus(fill, shape, text);
        if (next == _lastStatus) return;
        _lastStatus = next;
        SetStatus(next);
    }

    private static string StringOr(object? value, string fallback) => JsValue.IsTruthy(value) ? JsValue.ToJsString(value) : fallback;

    /// <summary>
    /// Counts every message. A message more than 100 ms after the previous one shows the count at once; a faster
    /// stream shows it 200 ms after its last message, so a flood does not flood the editor with status updates.
    /// </summary>
    private void UpdateCounter()
    {
        var now = Clock.GetUtcNow();
        var sinceLast = now - _lastMessageTime;
        _lastMessageTime = now;
        _counter++;
        StopTimer(_counterTimer);
        _counterTimer = null;
        if (sinceLast > CounterQuietTime)
        {
            ShowCounter();
            return;
        }
        ITimer? timer = null;
        timer = StartTimer(CounterDelay, Timeout.InfiniteTimeSpan, () =>
        {
            // A callback queued just before its timer was replaced must not show a stale count.
            if (_counterTimer == timer)
            {
                _counterTimer = null;
                ShowCounter();
            }
            return ValueTask.CompletedTask;
        });
        _counterTimer = timer;
    }

    private void ShowCounter()
    {
        var status = new NodeStatus("blue", "ring", _counter.ToString(CultureInfo.InvariantCulture));
        _lastStatus = status;
        SetStatus(status);
    }

    private static string ConsoleText(object? output, bool defined) => output switch
    {
        string s => (s.Contains('\n', StringComparison.Ordinal) ? "\n" : "") + s,
        null when !defined => ValueInspector.Inspect(null, defined: false),
        null or JsObject or List<object?> or byte[] or DateTime => "\n" + ValueInspector.Inspect(output, depth: 10),
        _ => ValueInspector.Inspect(output),
    };

    private ICompiledExpression Compile(string property, string text)
    {
        if (Services.Expressions is null) throw Config.Invalid(property, "JSONata is not available in this runtime");
        try
        {
            return Services.Expressions.Compile(text);
        }
        catch (TypedValueException ex)
        {
            throw Config.Invalid(property, $"Invalid JSONata expression: {ex.Message}");
        }
    }

    private PropertyPath ParsePath(string property, string text)
    {
        try
        {
            return PropertyPath.Parse(text);
        }
        catch (PropertyPathException ex)
        {
            throw Config.Invalid(property, ex.Message);
        }
    }
}

/// <summary>
/// A one-line rendering of a value in the style of Node.js util.inspect, used for debug status text and log output:
/// <c>{ a: 1, b: 'x' }</c>, <c>[ 1, 2 ]</c>, <c>&lt;Buffer 01 02&gt;</c>, nested containers beyond the depth as
/// <c>[Object]</c> / <c>[Array]</c>.
/// </summary>
internal static class ValueInspector
{
    private const int MaxArrayItems = 100;
    private const int MaxBufferBytes = 50;

    /// <param name="value">The value.</param>
    /// <param name="defined">False for a missing value (JavaScript's undefined).</param>
    /// <param name="depth">How many levels of containers are expanded (util.inspect's default is 2).</param>
    public static string Inspect(object? value, bool defined = true, int depth = 2)
    {
        if (!defined) return "undefined";
        var sb = new StringBuilder();
        Write(sb, value, depth, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int depth, int level)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                sb.Append('\'').Append(s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)
                    .Replace("\n", "\\n", StringComparison.Ordinal)).Append('\'');
                break;
            case double d:
                sb.Append(d == 0 && double.IsNegative(d) ? "-0" : JsValue.FormatNumber(d));
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case DateTime dt:
                sb.Append(JsJson.FormatIsoDate(dt));
                break;
            case byte[] bytes:
                sb.Append("<Buffer");
                foreach (var b in bytes.Take(MaxBufferBytes)) sb.Append(' ').Append(b.ToString("x2", CultureInfo.InvariantCulture));
                if (bytes.Length > MaxBufferBytes) sb.Append(" ... ").Append(bytes.Length - MaxBufferBytes).Append(" more bytes");
                sb.Append('>');
                break;
            case List<object?> list:
                if (list.Count == 0)
                {
                    sb.Append("[]");
                }
                else if (level > depth)
                {
                    sb.Append("[Array]");
                }
                else
                {
                    sb.Append("[ ");
                    for (var i = 0; i < list.Count && i < MaxArrayItems; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        Write(sb, list[i], depth, level + 1);
                    }
                    if (list.Count > MaxArrayItems) sb.Append(", ... ").Append(list.Count - MaxArrayItems).Append(" more items");
                    sb.Append(" ]");
                }
                break;
            case JsObject obj:
                if (obj.Count == 0)
                {
                    sb.Append("{}");
                }
                else if (level > depth)
                {
                    sb.Append("[Object]");
                }
                else
                {
                    sb.Append("{ ");
                    var first = true;
                    foreach (var (key, item) in obj)
                    {
                        if (!first) sb.Append(", ");
                        first = false;
                        if (IsIdentifier(key)) sb.Append(key);
                        else Write(sb, key, depth, level);
                        sb.Append(": ");
                        Write(sb, item, depth, level + 1);
                    }
                    sb.Append(" }");
                }
                break;
            default:
                sb.Append(value.ToString());
                break;
        }
    }

    private static bool IsIdentifier(string key) =>
        key.Length > 0 && (char.IsLetter(key[0]) || key[0] is '_' or '$') && key.All(c => char.IsLetterOrDigit(c) || c is '_' or '$');
}
