using System.Globalization;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>
/// Node-RED's switch node: evaluates a property against a list of rules and sends the message on the output of
/// every matching rule (or only the first, when <c>checkall</c> is "false"). Optionally re-sequences
/// <c>msg.parts</c> per output.
/// </summary>
internal sealed class SwitchNode : FlowNode
{
    private static readonly string[] ValueRuleTypes =
        ["eq", "neq", "lt", "lte", "gt", "gte", "btwn", "cont", "regex", "true", "false", "null", "nnull", "empty", "nempty", "istype", "hask", "head", "tail", "index", "jsonata_exp", "else"];

    public static readonly NodeDeclaration Declaration = new("switch")
    {
        Category = "function",
        Color = "#E2D96E",
        Icon = "switch.svg",
        Inputs = 1,
        Outputs = 1,
        OutputsProperty = "outputs",
        // Node-RED's switch input handler takes no done callback: complete nodes never fire for it.
        ReportsCompletion = false,
        Module = "node-red",
        Set = "node-red/switch",
        Help = """
            Routes messages by the value of a property. Each rule has its own output; a message goes to the output of
            every rule that matches (the same message; later outputs get copies).

            **property** / **propertyType**: what to test: a `msg` property, a `flow` or `global` context value, an
            `env` variable, or a `jsonata` expression evaluated against the message.

            **rules**: a list of `{t, v, vt, v2, v2t, case}`. `t` is one of:
            `eq` (JavaScript `==`, so `"1"` equals `1`), `neq`, `lt`, `lte`, `gt`, `gte`,
            `btwn` (between `v` and `v2` inclusive, in either order), `cont` (string contains), `regex` (`case: true`
            ignores case), `true`, `false`, `null` (null or missing), `nnull`, `empty` / `nempty` (a string, array or
            buffer of length 0, or an object without keys; anything else is neither), `istype` (`v` one of `string`,
            `number` (NaN excluded), `boolean`, `array`, `buffer`, `object` (null, arrays and buffers excluded),
            `json` (text that parses as JSON), `null`, `undefined`), `hask` (has own key `v`),
            `head` (`msg.parts.index` below `v`), `tail` (among the last `v` of the sequence), `index` (`parts.index`
            between `v` and `v2`), `jsonata_exp` (the expression `v` gives `true`; `$I` and `$N` are the sequence
            index and count), `else` (no earlier rule matched).
            `vt` / `v2t`: `str`, `num`, `msg`, `flow`, `global`, `env`, `jsonata`, or `prev` (the property value of the
            previous message). Rules without `vt` take `num` when `v` looks like a number, else `str`.

            **checkall**: `"true"` tests every rule; `"false"` stops at the first match.

            **repair**: re-create message sequences: messages with `msg.parts` are held until their whole sequence has
            arrived (also when any rule is `tail`), then each output gets its own sequence with fresh
            `parts.id`, `parts.index` and `parts.count`. `nodeMessageBufferMaxLength` limits how many are held.

            **outputs**: the number of outputs (the number of rules).

            Switch never reports completion to complete nodes (as in Node-RED).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.TypedInput)
            {
                Default = "payload",
                TypeProperty = "propertyType",
                Options = ["msg", "flow", "global", "jsonata", "env"],
            },
            new PropertyDeclaration("propertyType", PropertyKind.Select) { Default = "msg", Options = ["msg", "flow", "global", "jsonata", "env"] },
            new PropertyDeclaration("rules", PropertyKind.RuleList)
            {
                Default = new List<object?> { new JsObject { ["t"] = "eq", ["v"] = "", ["vt"] = "str" } },
                Help = "list of {t, v, vt, v2, v2t, case}; t: " + string.Join(", ", ValueRuleTypes),
                Validate = value => value is List<object?> ? null : "rules must be a list",
            },
            new PropertyDeclaration("checkall", PropertyKind.Select) { Default = "true", Options = ["true", "false"] },
            new PropertyDeclaration("repair", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("outputs", PropertyKind.Number) { Default = 1.0 },
        ],
    };

    /// <summary>A rule operand evaluated per message; the flag says whether the message is part of a sequence.</summary>
    private delegate object? Operand(JsObject message, bool hasParts);

    private sealed record Rule(string Type, Operand? V, Operand? V2, bool IgnoreCase, Regex? StaticRegex, string? TypeName);

    private sealed class PendingGroup
    {
        public double? Count;
        public readonly List<JsObject> Messages = [];
    }

    private readonly Rule[] _rules;
    private readonly Func<JsObject, object?> _property;
    private readonly bool _stopOnFirst;
    private readonly bool _repair;
    private readonly bool _needsCount;
    private readonly int _maxKept;
    private readonly Dictionary<string, PendingGroup> _pendingIn = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<object?[]>> _pendingOut = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _received = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, bool), Regex> _dynamicRegexes = [];
    private int _pendingCount;
    private object? _previousValue;

    public SwitchNode(NodeSetup setup) : base(setup)
    {
        _property = ParseProperty();
        // Node-RED stores checkall as a string; only the text "false" stops at the first match.
        _stopOnFirst = Config.Get("checkall") is string checkall && checkall == "false";
        _repair = Config.GetBool("repair", false);
        _maxKept = Services.Settings.NodeMessageBufferMaxLength;
        var rules = Config.Get("rules") switch
        {
            null => [],
            List<object?> list => list,
            _ => throw Config.Invalid("rules", "expected a list of rules"),
        };
        _rules = new Rule[rules.Count];
        var needsCount = _repair;
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i] is not JsObject rule) throw Config.Invalid("rules", $"rule {i + 1} is not an object");
            try
            {
                _rules[i] = ParseRule(rule);
            }
            catch (TypedValueException ex)
            {
                throw Config.Invalid("rules", $"rule {i + 1}: {ex.Message}");
            }
            catch (ArgumentException ex)
            {
                throw Config.Invalid("rules", $"rule {i + 1}: invalid regular expression: {ex.Message}");
            }
            needsCount |= _rules[i].Type == "tail";
        }
        _needsCount = needsCount;
    }

    private Func<JsObject, object?> ParseProperty()
    {
        var property = Config.GetString("property", "payload");
        var type = Config.GetString("propertyType", "msg");
        if (type.Length == 0) type = "msg";
        try
        {
            switch (type)
            {
                case "msg":
                    var path = PropertyPath.Parse(property.Length == 0 ? "payload" : property);
                    return msg => MessageProperties.Get(msg, path);
                case "jsonata":
                    var engine = Services.Expressions ?? throw new TypedValueException("JSONata is not available in this runtime");
                    var expression = engine.Compile(property);
                    return msg =>
                    {
                        try
                        {
                            return expression.TryEvaluate(msg, TypedValue.ScopeFor(this), out var result) ? result : JsUndefined.Value;
                        }
                        catch (Exception ex) when (ex is not OutOfMemoryException)
                        {
                            throw new PropertyEvaluationException($"Invalid JSONata expression: {(ex.InnerException ?? ex).Message}", ex);
                        }
                    };
                default:
                    var typed = TypedValue.Create(type, property, Services.Expressions);
                    return msg => Quietly(() => typed.Evaluate(this, msg), type);
            }
        }
        catch (Exception ex) when (ex is TypedValueException or PropertyPathException)
        {
            throw Config.Invalid("property", ex.Message);
        }
    }

    /// <summary>Node-RED turns evaluation errors of non-JSONata operands into undefined.</summary>
    private static object? Quietly(Func<object?> evaluate, string type)
    {
        object? value;
        try
        {
            value = evaluate();
        }
        catch (Exception ex) when (ex is TypedValueException or PropertyPathException or JsJsonException or InvalidOperationException)
        {
            return JsUndefined.Value;
        }
        // Context holds no undefined values: a missing key reads as null and means "not set".
        return value is null && type is "flow" or "global" ? JsUndefined.Value : value;
    }

    private sealed class PropertyEvaluationException(string message, Exception inner) : Exception(message, inner);

    private Rule ParseRule(JsObject rule)
    {
        var t = rule.Get("t") as string ?? "";
        if (Array.IndexOf(ValueRuleTypes, t) < 0) throw Config.Invalid("rules", $"unknown rule type \"{t}\"");
        var ignoreCase = JsValue.IsTruthy(rule.Get("case"));
        var vt = rule.Get("vt") as string;
        if (string.IsNullOrEmpty(vt))
        {
            // Rules saved before value types: numeric-looking values are numbers.
            vt = rule.ContainsKey("v") && !double.IsNaN(JsValue.ToNumber(rule.Get("v"))) ? "num" : "str";
        }
        if (t == "istype")
        {
            // The editor stores the type name in both v and vt; Node-RED reads "json" and "null" from vt.
            var typeName = vt is "json" or "null" ? vt : JsValue.ToJsString(rule.Get("v"));
            return new Rule(t, null, null, ignoreCase, null, typeName);
        }
        Operand? v = null;
        Operand? v2 = null;
        Regex? staticRegex = null;
        if (t is not ("true" or "false" or "null" or "nnull" or "empty" or "nempty" or "else"))
        {
            v = ParseOperand(rule.ContainsKey("v"), rule.Get("v"), vt, t == "jsonata_exp");
            if (t == "regex" && vt == "str")
            {
                staticRegex = JsSemantics.CreateRegex(JsValue.ToJsString(rule.Get("v") ?? ""), ignoreCase);
            }
        }
        if (t is "btwn" or "index" && rule.ContainsKey("v2"))
        {
            var v2Raw = rule.Get("v2");
            var v2t = rule.Get("v2t") as string;
            if (string.IsNullOrEmpty(v2t)) v2t = double.IsNaN(JsValue.ToNumber(v2Raw)) ? "str" : "num";
            v2 = ParseOperand(true, v2Raw, v2t, false);
        }
        return new Rule(t, v, v2, ignoreCase, staticRegex, null);
    }

    private Operand ParseOperand(bool present, object? raw, string type, bool assignsSequence)
    {
        if (!present) return (_, _) => JsUndefined.Value;
        switch (type)
        {
            case "prev":
                return (_, _) => _previousValue;
            case "num":
                // Node-RED keeps a value that is not a number as it is.
                var number = JsValue.ToNumber(raw);
                object? constant = double.IsNaN(number) ? raw : number;
                return (_, _) => constant;
            case "str":
                var text = raw is null ? "" : JsValue.ToJsString(raw);
                return (_, _) => text;
            case "json":
                return (_, _) => "json";
            case "null":
                return (_, _) => "null";
            case "jsonata":
                var engine = Services.Expressions ?? throw new TypedValueException("JSONata is not available in this runtime");
                var compiled = engine.Compile(JsValue.ToJsString(raw ?? ""));
                return (msg, hasParts) =>
                {
                    var scope = TypedValue.ScopeFor(this);
                    if (assignsSequence && hasParts && msg.Get("parts") is JsObject parts)
                    {
                        scope = new ExpressionScope(scope.Flow, scope.Env, scope.Global)
                        {
                            Variables = new Dictionary<string, object?> { ["I"] = parts.Get("index"), ["N"] = parts.Get("count") },
                        };
                    }
                    try
                    {
                        return compiled.TryEvaluate(msg, scope, out var result) ? result : JsUndefined.Value;
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        throw new PropertyEvaluationException($"Invalid JSONata expression: {(ex.InnerException ?? ex).Message}", ex);
                    }
                };
            case "msg":
                var pathText = JsValue.ToJsString(raw ?? "");
                if (!PropertyPath.TryParse(pathText, out var path) || path is null) return (_, _) => JsUndefined.Value;
                return (msg, _) => MessageProperties.Get(msg, path);
            case "flow" or "global" or "env" or "bool" or "date" or "bin" or "re":
                var typed = TypedValue.Create(type, raw, Services.Expressions);
                return (msg, _) => Quietly(() => typed.Evaluate(this, msg), type);
            default:
                // Types Node-RED does not evaluate give the stored value unchanged.
                return (_, _) => raw;
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        ProcessMessage(input.Message, checkParts: true);
        return ValueTask.CompletedTask;
    }

    private static bool HasParts(JsObject msg) =>
        msg.Get("parts") is JsObject parts && parts.ContainsKey("id") && parts.ContainsKey("index");

    private void ProcessMessage(JsObject msg, bool checkParts)
    {
        var hasParts = HasParts(msg);
        if (_needsCount && checkParts && hasParts)
        {
            AddMessageToPending(msg);
            return;
        }
        object? property;
        try
        {
            property = _property(msg);
        }
        catch (PropertyEvaluationException ex)
        {
            // Node-RED only warns when the property expression fails; the message is dropped.
            Warn(ex.Message);
            return;
        }
        object?[] onward;
        try
        {
            onward = ApplyRules(msg, property, hasParts);
        }
        catch (Exception ex) when (ex is PropertyEvaluationException or RuleEvaluationException or ArgumentException or RegexMatchTimeoutException)
        {
            ReportError(ex.Message, msg);
            return;
        }
        if (!_repair || !hasParts)
        {
            if (onward.Length > 0) SendToPorts(onward);
        }
        else
        {
            SendGroupMessages(onward, msg);
        }
    }

    private sealed class RuleEvaluationException(string message) : Exception(message);

    private object?[] ApplyRules(JsObject msg, object? property, bool hasParts)
    {
        if (_rules.Length == 0) return [];
        var onward = new List<object?>(_rules.Length);
        var elseFlag = true;
        foreach (var rule in _rules)
        {
            bool matched;
            if (rule.Type == "else")
            {
                matched = elseFlag;
                elseFlag = true;
            }
            else
            {
                var v1 = rule.V?.Invoke(msg, hasParts) ?? (rule.V is null ? JsUndefined.Value : null);
                var v2 = rule.V2?.Invoke(msg, hasParts) ?? (rule.V2 is null ? JsUndefined.Value : null);
                matched = Test(rule, property, v1, v2, msg);
            }
            if (matched)
            {
                onward.Add(msg);
                elseFlag = false;
                if (_stopOnFirst) break;
            }
            else
            {
                onward.Add(null);
            }
        }
        _previousValue = property;
        return onward.ToArray();
    }

    private bool Test(Rule rule, object? a, object? b, object? c, JsObject msg) => rule.Type switch
    {
        "eq" => JsSemantics.LooseEquals(a, b),
        "neq" => !JsSemantics.LooseEquals(a, b),
        "lt" => JsSemantics.LessThan(a, b),
        "lte" => JsSemantics.LessOrEqual(a, b),
        "gt" => JsSemantics.GreaterThan(a, b),
        "gte" => JsSemantics.GreaterOrEqual(a, b),
        "btwn" => (JsSemantics.GreaterOrEqual(a, b) && JsSemantics.LessOrEqual(a, c)) || (JsSemantics.LessOrEqual(a, b) && JsSemantics.GreaterOrEqual(a, c)),
        "cont" => JsSemantics.ToJsString(a).Contains(JsSemantics.ToJsString(b), StringComparison.Ordinal),
        "regex" => RegexFor(rule, b).IsMatch(JsSemantics.ToJsString(a)),
        "true" => a is true,
        "false" => a is false,
        "null" => a is null || JsSemantics.IsUndefined(a),
        "nnull" => !(a is null || JsSemantics.IsUndefined(a)),
        "empty" => IsEmpty(a) == true,
        "nempty" => IsEmpty(a) == false,
        "istype" => IsType(a, rule.TypeName!),
        "hask" => HasKey(a, b),
        "head" => JsSemantics.ToNumber(Part(msg, "index")) < JsSemantics.ToNumber(b),
        "tail" => JsSemantics.ToNumber(Part(msg, "count")) - JsSemantics.ToNumber(b) <= JsSemantics.ToNumber(Part(msg, "index")),
        "index" => JsSemantics.ToNumber(b) <= JsSemantics.ToNumber(Part(msg, "index")) && JsSemantics.ToNumber(Part(msg, "index")) <= JsSemantics.ToNumber(c),
        "jsonata_exp" => b is true,
        _ => false,
    };

    /// <summary>msg.parts.x; without msg.parts Node-RED's rule throws (reported to catch nodes).</summary>
    private static object? Part(JsObject msg, string key)
    {
        if (msg.Get("parts") is not JsObject parts)
        {
            throw new RuleEvaluationException($"Cannot read properties of undefined (reading '{key}')");
        }
        return parts.TryGetValue(key, out var value) ? value : JsUndefined.Value;
    }

    private Regex RegexFor(Rule rule, object? pattern)
    {
        if (rule.StaticRegex is not null) return rule.StaticRegex;
        // new RegExp(undefined) is the empty pattern, which matches everything.
        var source = pattern switch
        {
            Regex r => r.ToString(),
            JsUndefined => "",
            _ => JsSemantics.ToJsString(pattern),
        };
        var key = (source, rule.IgnoreCase);
        if (_dynamicRegexes.TryGetValue(key, out var cached)) return cached;
        var regex = JsSemantics.CreateRegex(source, rule.IgnoreCase);
        if (_dynamicRegexes.Count >= 64) _dynamicRegexes.Clear(); // bounded: patterns may come from every message
        _dynamicRegexes[key] = regex;
        return regex;
    }

    /// <summary>true = empty, false = not empty, null = neither (numbers, booleans, null, undefined).</summary>
    private static bool? IsEmpty(object? value) => value switch
    {
        string s => s.Length == 0,
        List<object?> list => list.Count == 0,
        byte[] bytes => bytes.Length == 0,
        JsObject obj => obj.Count == 0,
        DateTime => true, // a Date has no own keys
        null or double or bool or JsUndefined => null,
        _ => false,
    };

    private static bool IsType(object? value, string type) => type switch
    {
        "array" => value is List<object?>,
        "buffer" => value is byte[],
        "json" => !JsSemantics.IsUndefined(value) && JsJson.TryParse(JsValue.ToJsString(value), out _, out _),
        "null" => value is null,
        "number" => value is double d && !double.IsNaN(d),
        _ => value is not (null or List<object?> or byte[]) && JsSemantics.TypeOf(value) == type,
    };

    private static bool HasKey(object? value, object? key)
    {
        if (value is null || JsSemantics.IsUndefined(value)) return false;
        if (JsSemantics.TypeOf(key) == "object") return false;
        var name = JsSemantics.ToJsString(key);
        return value switch
        {
            JsObject obj => obj.ContainsKey(name),
            List<object?> list => name == "length" || IsIndex(name, list.Count),
            string s => name == "length" || IsIndex(name, s.Length),
            byte[] bytes => IsIndex(name, bytes.Length),
            _ => false,
        };
    }

    private static bool IsIndex(string name, int length) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
        && index.ToString(CultureInfo.InvariantCulture) == name && index < length;

    // --- sequence repair (Node-RED's "recreate message sequences") ---

    private void AddMessageToPending(JsObject msg)
    {
        var parts = (JsObject)msg.Get("parts")!;
        var id = JsValue.ToJsString(parts.Get("id"));
        if (!_pendingIn.TryGetValue(id, out var group)) _pendingIn[id] = group = new PendingGroup();
        group.Messages.Add(msg);
        _pendingCount++;
        if (_maxKept > 0 && _pendingCount > _maxKept)
        {
            ClearPending();
            ReportError("too many pending messages in switch node", msg);
            return;
        }
        if (parts.ContainsKey("count")) group.Count = JsValue.ToNumber(parts.Get("count"));
        if (group.Count is { } count && count == group.Messages.Count)
        {
            // The whole sequence is here: handle each part knowing the count.
            _pendingIn.Remove(id);
            _pendingCount -= group.Messages.Count;
            foreach (var part in group.Messages)
            {
                if (part.Get("parts") is JsObject p) p["count"] = count;
                ProcessMessage(part, checkParts: false);
            }
        }
    }

    private void SendGroupMessages(object?[] onward, JsObject msg)
    {
        var parts = (JsObject)msg.Get("parts")!;
        var id = JsValue.ToJsString(parts.Get("id"));
        _received[id] = _received.GetValueOrDefault(id) + 1;
        if (!_pendingOut.TryGetValue(id, out var onwards)) _pendingOut[id] = onwards = [];
        // checkall "false" leaves shorter lists; pad so every entry has one slot per rule.
        var padded = new object?[_rules.Length];
        Array.Copy(onward, padded, onward.Length);
        onwards.Add(padded);
        _pendingCount++;
        if (_received[id] == JsValue.ToNumber(parts.Get("count")))
        {
            SendGroup(onwards);
            _pendingCount -= onwards.Count;
            _pendingOut.Remove(id);
            _received.Remove(id);
        }
        if (_maxKept > 0 && _pendingCount > _maxKept)
        {
            ClearPending();
            ReportError("too many pending messages in switch node", msg);
        }
    }

    /// <summary>Sends a held sequence: each output gets its own parts.id, and index/count of what went there.</summary>
    private void SendGroup(List<object?[]> onwards)
    {
        var ports = _rules.Length;
        var counts = new int[ports];
        foreach (var onward in onwards)
        {
            for (var j = 0; j < ports; j++) if (onward[j] is not null) counts[j]++;
        }
        var ids = new string[ports];
        for (var j = 0; j < ports; j++) ids[j] = MessageIds.NewId();
        var indexes = new int[ports];
        foreach (var onward in onwards)
        {
            var send = new object?[ports];
            for (var j = 0; j < ports; j++)
            {
                if (onward[j] is not JsObject message) continue;
                var copy = NodeRunner.CloneMessage(message);
                if (copy.Get("parts") is JsObject parts)
                {
                    parts["id"] = ids[j];
                    parts["index"] = (double)indexes[j];
                    parts["count"] = (double)counts[j];
                }
                indexes[j]++;
                send[j] = copy;
            }
            SendToPorts(send);
        }
    }

    private void ClearPending()
    {
        _pendingCount = 0;
        _pendingIn.Clear();
        _pendingOut.Clear();
        _received.Clear();
    }
}
