using Cronos;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's inject node: builds a message from typed properties and sends it on the button, once at start, on an
/// interval, or on a cron schedule (reference §5.2 inject, §1.12 legacy shape).
/// </summary>
/// <remarks>
/// Every injection (timer or button) is delivered to the node's own input, as Node-RED's <c>node.receive()</c> and
/// <c>emit("input")</c> do: it gets a fresh _msgid, runs on the node's mailbox, reaches complete nodes when sent, and an
/// evaluation error goes to catch nodes with the message.
/// </remarks>
internal sealed class InjectNode : FlowNode
{
    /// <summary>The body key POST /inject/:id uses to replace the configured properties for one injection.</summary>
    public const string UserPropsKey = "__user_inject_props__";

    /// <summary>Node-RED refuses intervals above this many seconds ("Interval too large"): setInterval's 2^31 ms limit.</summary>
    private const double MaxRepeatSeconds = 2147483;

    private static readonly IReadOnlyList<string> ValueTypes = ["flow", "global", "str", "num", "bool", "json", "bin", "date", "jsonata", "env"];

    public static readonly NodeDeclaration Declaration = new("inject")
    {
        Category = "common",
        Color = "#a6bbcf",
        Icon = "inject.svg",
        Inputs = 0,
        Outputs = 1,
        HasButton = true,
        Module = "node-red",
        Set = "node-red/inject",
        DefaultLabel = "inject",
        Help = """
            Injects a message into a flow, by clicking the node's button, once after the flow starts, at a regular
            interval, or on a schedule.

            The message starts empty (with a new `_msgid`) and each entry of **props** is set on it in order:

            - **props**: a list of `{p, v, vt}`: `p` is the message property (a path such as `payload` or `a.b[0]`,
              created if missing), `v` the value and `vt` its type: `str`, `num`, `bool`, `json`, `bin` (a JSON byte
              array or string, giving a buffer), `date` (empty = milliseconds since the epoch, `iso`, `object`, or a
              moment.js format), `env` (environment variable, `${VAR}` substitution), `flow` / `global` (context key,
              optionally `#:(store)::key`), `jsonata` (an expression evaluated against the message being built).
              A `payload` entry without `v` uses **payload**/**payloadType**; a `topic` entry of type `str` without
              `v` uses **topic**.
            - **payload**, **payloadType**, **topic**: the legacy form. A node without `props` sends `msg.payload`
              from payload/payloadType and `msg.topic` from topic (a string).
            - **repeat**: seconds between injections ("" for none, at most 2147483).
            - **crontab**: a cron schedule instead of an interval: five fields `minute hour day-of-month month
              day-of-week` (six with leading seconds), e.g. `*/5 8-17 * * 1-5` or `30 12 * * *`. The editor's "at a
              specific time" and "interval between times" options are stored this way. The schedule follows the host's
              local time zone, as Node-RED does.
            - **once**: also inject once after the flow starts, **onceDelay** seconds later (default 0.1); the interval
              or schedule starts after that first injection.

            If any property cannot be evaluated nothing is sent and the errors (joined by `; `) are reported to catch
            nodes with the message.

            POST `/inject/:id` triggers the node; a body `{"__user_inject_props__":[{p,v,vt}]}` replaces the
            configured properties for that one injection.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("props", PropertyKind.RuleList)
            {
                Default = new List<object?>
                {
                    new JsObject { ["p"] = "payload" },
                    new JsObject { ["p"] = "topic", ["vt"] = "str" },
                },
                Label = "Properties",
                Help = "list of {p, v, vt}: message property, value, value type",
                Validate = ValidateProps,
            },
            new PropertyDeclaration("repeat", PropertyKind.Number)
            {
                Default = "",
                Label = "Repeat (seconds)",
                Validate = v => JsValue.ToNumber(v) is var n && (n < 0 || n > MaxRepeatSeconds) ? "Invalid repeat value: expected 0 to 2147483 seconds" : null,
            },
            new PropertyDeclaration("crontab", PropertyKind.String) { Default = "", Label = "Cron schedule", Validate = ValidateCrontab },
            new PropertyDeclaration("once", PropertyKind.Bool) { Default = false, Label = "Inject once after start" },
            new PropertyDeclaration("onceDelay", PropertyKind.Number) { Default = 0.1, Label = "Seconds before the first injection" },
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "", Help = "legacy: msg.topic when props is missing" },
            new PropertyDeclaration("payload", PropertyKind.TypedInput)
            {
                Default = "",
                TypeProperty = "payloadType",
                Options = ValueTypes,
                Help = "legacy: msg.payload when props is missing, and the value of a payload prop without v",
            },
            new PropertyDeclaration("payloadType", PropertyKind.String) { Default = "date", Options = ValueTypes },
        ],
    };

    private readonly IReadOnlyList<InjectProperty> _props;
    private readonly TimeSpan? _repeat;
    private readonly CronExpression? _cron;
    private readonly bool _once;
    private readonly TimeSpan _onceDelay;

    public InjectNode(NodeSetup setup) : base(setup)
    {
        _props = ConfiguredProps();

        var repeat = Config.GetNumberOrNull("repeat");
        if (repeat > MaxRepeatSeconds) throw Config.Invalid("repeat", "Interval too large: at most 2147483 seconds");
        if (repeat > 0) _repeat = TimeSpan.FromSeconds(repeat.Value);

        var crontab = Config.GetString("crontab").Trim();
        if (crontab.Length > 0)
        {
            try
            {
                _cron = ParseCron(crontab);
            }
            catch (CronFormatException ex)
            {
                throw Config.Invalid("crontab", $"invalid cron expression \"{crontab}\": {ex.Message}");
            }
        }

        _once = Config.GetBool("once", false);
        // Node-RED: (onceDelay || 0.1) seconds, so 0 and "" mean the default too.
        var onceDelay = Config.GetNumber("onceDelay", 0.1);
        _onceDelay = TimeSpan.FromSeconds(onceDelay is 0 || double.IsNaN(onceDelay) ? 0.1 : Math.Max(onceDelay, 0));
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_once)
        {
            StartTimer(_onceDelay, Timeout.InfiniteTimeSpan, () =>
            {
                Inject();
                StartSchedule();
                return ValueTask.CompletedTask;
            });
        }
        else
        {
            StartSchedule();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The button and POST /inject/:id. The injection is queued on the node's mailbox, never run on the caller's thread.</summary>
    public override ValueTask<bool> TriggerAsync(JsObject? overrides, CancellationToken cancellationToken)
    {
        // Node-RED passes the request body as the message only when it carries __user_inject_props__.
        var message = overrides?.Get(UserPropsKey) is not null ? (JsObject)JsValue.DeepClone(overrides)! : new JsObject();
        return ValueTask.FromResult(Services.Deliver(Id, message));
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var errors = new List<string>();
        IReadOnlyList<InjectProperty> props = _props;
        if (msg.Get(UserPropsKey) is List<object?> overrides) props = OverrideProps(overrides, errors);
        msg.Remove(UserPropsKey);

        foreach (var prop in props)
        {
            if (prop.Path is null) continue;
            try
            {
                prop.Path.SetValue(msg, prop.Evaluate(this, msg));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
            {
                // Collected, not swallowed: every failing property is named in the error reported below.
                errors.Add(ex.Message);
            }
        }
        if (errors.Count > 0)
        {
            // done(errors) in Node-RED: reported with the message, nothing sent, no completion.
            input.Defer().Fail(string.Join("; ", errors));
            return ValueTask.CompletedTask;
        }
        Send(msg);
        return ValueTask.CompletedTask;
    }

    private void Inject() => Services.Deliver(Id, new JsObject());

    private void StartSchedule()
    {
        // An interval wins over a schedule when both are set, as in Node-RED.
        if (_repeat is { } repeat)
        {
            StartTimer(repeat, repeat, () =>
            {
                Inject();
                return ValueTask.CompletedTask;
            });
        }
        else if (_cron is not null)
        {
            ScheduleNextOccurrence(Clock.GetUtcNow());
        }
    }

    /// <summary>Arms a one-shot timer for the first occurrence after <paramref name="after"/> (or now, if later).</summary>
    private void ScheduleNextOccurrence(DateTimeOffset after)
    {
        var now = Clock.GetUtcNow();
        // Never earlier than the occurrence just fired: a timer that wakes a little early must not fire it twice.
        var next = _cron!.GetNextOccurrence(after > now ? after : now, Clock.LocalTimeZone);
        if (next is { } due) WaitForOccurrence(due);
    }

    private void WaitForOccurrence(DateTimeOffset due)
    {
        var wait = due - Clock.GetUtcNow();
        if (wait > ControlValues.MaxTimerWait)
        {
            // A yearly schedule is further away than one timer can wait: wake up on the way and wait again.
            StartTimer(ControlValues.MaxTimerWait, Timeout.InfiniteTimeSpan, () =>
            {
                WaitForOccurrence(due);
                return ValueTask.CompletedTask;
            });
            return;
        }
        StartTimer(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan, () =>
        {
            Inject();
            ScheduleNextOccurrence(due);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Five fields as Node-RED's editor writes them, six with seconds, or a macro such as @hourly.</summary>
    internal static CronExpression ParseCron(string crontab)
    {
        var fields = crontab.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length switch
        {
            6 => CronExpression.Parse(string.Join(' ', fields), CronFormat.IncludeSeconds),
            7 => throw new CronFormatException("a year field is not supported; use five fields (or six with seconds)"),
            _ => CronExpression.Parse(string.Join(' ', fields), CronFormat.Standard),
        };
    }

    private static string? ValidateCrontab(object? value)
    {
        if (value is not string text || text.Trim().Length == 0) return null;
        try
        {
            ParseCron(text.Trim());
            return null;
        }
        catch (CronFormatException ex)
        {
            return $"invalid cron expression \"{text}\": {ex.Message}";
        }
    }

    private static string? ValidateProps(object? value) => value switch
    {
        null => null,
        List<object?> list when list.All(item => item is JsObject) => null,
        _ => "expected a list of {p, v, vt} objects",
    };

    /// <summary>The props to inject, with Node-RED's fallbacks to the legacy payload/payloadType/topic fields.</summary>
    private List<InjectProperty> ConfiguredProps()
    {
        var payload = Config.Get("payload");
        var payloadType = Config.GetStringOrNull("payloadType");
        var topic = Config.Get("topic");
        var result = new List<InjectProperty>();
        if (Config.Get("props") is not List<object?> items)
        {
            result.Add(Prepare("payload", payload, payloadType));
            result.Add(Prepare("topic", topic, "str"));
            return result;
        }
        foreach (var item in items)
        {
            if (item is not JsObject prop) continue;
            var name = prop.Get("p") is { } p ? JsValue.ToJsString(p) : "";
            var hasValue = prop.ContainsKey("v");
            var value = prop.Get("v");
            var type = prop.Get("vt") as string;
            if (name == "payload" && !hasValue)
            {
                value = payload;
                type = payloadType;
            }
            else if (name == "topic" && type == "str" && !hasValue)
            {
                value = topic;
            }
            result.Add(Prepare(name, value, type));
        }
        return result;

        InjectProperty Prepare(string name, object? value, string? type)
        {
            try
            {
                return InjectProperty.Create(name, value, type, Services.Expressions);
            }
            catch (Exception ex) when (ex is TypedValueException or PropertyPathException)
            {
                throw Config.Invalid("props", $"msg.{name}: {ex.Message}");
            }
        }
    }

    /// <summary>The props sent with POST /inject/:id. Problems are errors of this injection, not of the configuration.</summary>
    private List<InjectProperty> OverrideProps(List<object?> items, List<string> errors)
    {
        var result = new List<InjectProperty>();
        foreach (var item in items)
        {
            if (item is not JsObject prop) continue;
            var name = prop.Get("p") is { } p ? JsValue.ToJsString(p) : "";
            try
            {
                result.Add(InjectProperty.Create(name, prop.Get("v"), prop.Get("vt") as string, Services.Expressions));
            }
            catch (Exception ex) when (ex is TypedValueException or PropertyPathException)
            {
                errors.Add($"msg.{name}: {ex.Message}");
            }
        }
        return result;
    }

    /// <summary>One prepared property: where it goes and how its value is made.</summary>
    private sealed class InjectProperty
    {
        private readonly TypedValue? _typed;
        private readonly object? _constant;

        private InjectProperty(PropertyPath? path, TypedValue? typed, object? constant)
        {
            Path = path;
            _typed = typed;
            _constant = constant;
        }

        /// <summary>Null when the entry sets nothing (no property name, or an empty JSONata expression).</summary>
        public PropertyPath? Path { get; }

        public static InjectProperty Create(string name, object? value, string? type, IExpressionEngine? expressions)
        {
            if (name.Length == 0) return new InjectProperty(null, null, null);
            var path = PropertyPath.Parse(name);
            type = string.IsNullOrEmpty(type) ? "str" : type;
            var raw = value ?? "";
            if (type == "jsonata" && raw is string { Length: 0 }) return new InjectProperty(null, null, null);
            return type switch
            {
                "str" or "num" or "bool" or "json" or "bin" or "date" or "env" or "flow" or "global" or "msg" or "jsonata" or "re"
                    => new InjectProperty(path, TypedValue.Create(type, raw, expressions), null),
                // Types Node-RED does not know (old "none"...) evaluate to the stored value itself.
                _ => new InjectProperty(path, null, raw),
            };
        }

        public object? Evaluate(FlowNode node, JsObject msg) =>
            _typed is not null ? _typed.Evaluate(node, msg) : JsValue.DeepClone(_constant);
    }
}
