using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Sequence;

/// <summary>Node-RED's join node: rebuilds split sequences (auto), groups messages (manual) or reduces a sequence (reduce).</summary>
internal sealed class JoinNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("join")
    {
        Category = "sequence",
        Color = "#E2D96E",
        Icon = "join.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/split",
        Help = """
            Joins a sequence of messages into one.

            **auto**: reverses a split using `msg.parts` (`id`, `index`, `count`, `type`, `ch`, `len`, `key`, `property`);
            the original `msg.parts.parts` is restored.

            **custom** (manual): collects `property` (or the whole message when `propertyType` is `full`) into `build`:
            `string` (joined with `joiner`; `joinerType` `bin` = bytes), `buffer`, `array`, `object` (key from msg[`key`]) or
            `merged` (properties of each object merged). A group is sent when `count` messages arrived (or
            `msg.parts.count` when `count` is empty), after `timeout` seconds, or when a message has `msg.complete`.
            `accumulate` keeps the group after sending. `msg.reset` drops the group; `msg.restartTimeout` restarts the timer.
            The output is the last received message with the joined property.

            **reduce**: for each message of a complete sequence (ordered by `parts.index`, reversed with `reduceRight`)
            evaluates the JSONata `reduceExp` with `$A` (accumulator, starting at `reduceInit` of `reduceInitType`), `$I`
            (index) and `$N` (count); then `reduceFixup` (with `$A`, `$N`) if given; sends one message with the result in
            `msg.payload`.

            Held messages count against `nodeMessageBufferMaxLength`; beyond it the groups are dropped with an error.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "auto", Options = ["auto", "custom", "reduce"] },
            new PropertyDeclaration("build", PropertyKind.Select) { Default = "object", Options = ["string", "buffer", "array", "object", "merged"] },
            new PropertyDeclaration("property", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "propertyType", Options = ["msg", "full"] },
            new PropertyDeclaration("propertyType", PropertyKind.Select) { Default = "msg", Options = ["msg", "full"] },
            new PropertyDeclaration("key", PropertyKind.String) { Default = "topic" },
            new PropertyDeclaration("joiner", PropertyKind.TypedInput) { Default = "\\n", TypeProperty = "joinerType", Options = ["str", "bin"] },
            new PropertyDeclaration("joinerType", PropertyKind.Select) { Default = "str", Options = ["str", "bin"] },
            new PropertyDeclaration("useparts", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("accumulate", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("count", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("reduceRight", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("reduceExp", PropertyKind.Code) { Default = "" },
            new PropertyDeclaration("reduceInit", PropertyKind.TypedInput) { Default = "", TypeProperty = "reduceInitType", Options = ["str", "num", "bool", "json", "bin", "date", "jsonata", "env", "flow", "global"] },
            new PropertyDeclaration("reduceInitType", PropertyKind.Select) { Default = "", Options = ["", "str", "num", "bool", "json", "bin", "date", "jsonata", "env", "flow", "global"] },
            new PropertyDeclaration("reduceFixup", PropertyKind.Code) { Default = "" },
        ],
    };

    private sealed class Group
    {
        public required string Type { get; init; }
        public List<object?> Items { get; } = [];
        public JsObject Object { get; } = [];
        public int Count { get; set; }
        public int TargetCount { get; set; }
        public object? Joiner { get; init; }
        public int ArrayLength { get; init; }
        public PropertyPath Property { get; init; } = PropertyPath.Parse("payload");
        public JsObject Message { get; set; } = [];
        public ITimer? Timer { get; set; }
        public List<InputCompletion> Completions { get; } = [];
        public List<JsObject> Reduced { get; } = [];
    }

    private static readonly PropertyPath PayloadPath = PropertyPath.Parse("payload");
    private readonly string _mode;
    private readonly string _build;
    private readonly bool _full;
    private readonly PropertyPath _property;
    private readonly PropertyPath _key;
    private readonly object _joiner;
    private readonly bool _accumulate;
    private readonly TimeSpan _timeout;
    private readonly int _count;
    private readonly bool _reduceRight;
    private readonly ICompiledExpression? _reduceExp;
    private readonly ICompiledExpression? _reduceFixup;
    private readonly TypedValue? _reduceInit;
    private readonly int _maxKept;
    private readonly Dictionary<string, Group> _groups = [];

    public JoinNode(NodeSetup setup) : base(setup)
    {
        _mode = Config.GetString("mode", "auto");
        if (_mode.Length == 0) _mode = "auto";
        if (_mode is not ("auto" or "custom" or "reduce")) throw Config.Invalid("mode", $"\"{_mode}\" is not one of auto, custom, reduce");
        _build = Config.GetString("build", "object");
        if (_build.Length == 0) _build = "object";
        if (_build is not ("string" or "buffer" or "array" or "object" or "merged")) throw Config.Invalid("build", $"\"{_build}\" is not one of string, buffer, array, object, merged");
        _full = Config.GetString("propertyType", "msg") == "full";
        _property = _full ? PayloadPath : SequenceSupport.ParsePath(Config, "property");
        _key = SequenceSupport.ParsePath(Config, "key", "topic");
        var joiner = Config.GetString("joiner", "\\n");
        if (Config.GetString("joinerType", "str") == "bin")
        {
            try
            {
                _joiner = SequenceSupport.ParseBinary(joiner);
            }
            catch (JsJsonException ex)
            {
                throw Config.Invalid("joiner", $"not a buffer: {ex.Message}");
            }
        }
        else
        {
            _joiner = SequenceSupport.Unescape(joiner);
        }
        _accumulate = Config.GetBool("accumulate", false);
        var timeout = Config.GetNumber("timeout", 0);
        if (timeout < 0) throw Config.Invalid("timeout", "must not be negative");
        _timeout = TimeSpan.FromSeconds(timeout);
        _count = (int)Config.GetNumber("count", 0);
        _reduceRight = Config.GetBool("reduceRight", false);
        _maxKept = Services.Settings.NodeMessageBufferMaxLength;
        if (_mode == "reduce")
        {
            var engine = Services.Expressions ?? throw Config.Invalid("reduceExp", "JSONata is not available in this runtime");
            try
            {
                _reduceExp = engine.Compile(Config.GetString("reduceExp"));
                var fixup = Config.GetString("reduceFixup");
                if (fixup.Trim().Length > 0) _reduceFixup = engine.Compile(fixup);
            }
            catch (TypedValueException ex)
            {
                throw Config.Invalid("reduceExp", ex.Message);
            }
            try
            {
                var initType = Config.GetString("reduceInitType", "num");
                _reduceInit = TypedValue.Create(initType.Length == 0 ? "num" : initType, Config.Get("reduceInit") ?? "", engine);
            }
            catch (TypedValueException ex)
            {
                throw Config.Invalid("reduceInit", ex.Message);
            }
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (_mode == "reduce")
        {
            Reduce(input, msg);
            return ValueTask.CompletedTask;
        }

        string groupId;
        string type;
        int targetCount;
        object? joiner;
        string? key = null;
        var arrayLength = 0;
        double? index = null;
        var property = _property;
        if (_mode == "auto")
        {
            if (msg.Get("parts") is not JsObject parts || parts.Get("id") is null)
            {
                Warn("Message missing msg.parts property - cannot join in 'auto' mode");
                return ValueTask.CompletedTask;
            }
            groupId = JsValue.ToJsString(parts.Get("id"));
            type = parts.Get("type") as string ?? "array";
            targetCount = (int)(parts.Get("count") as double? ?? 0);
            joiner = parts.Get("ch");
            key = parts.Get("key") is { } k ? JsValue.ToJsString(k) : null;
            arrayLength = (int)(parts.Get("len") as double? ?? 0);
            index = parts.Get("index") as double?;
            if (parts.Get("property") is string p && p.Length > 0)
            {
                try
                {
                    property = PropertyPath.Parse(p);
                }
                catch (PropertyPathException ex)
                {
                    throw new InvalidOperationException(ex.Message, ex);
                }
            }
            else
            {
                property = PayloadPath;
            }
        }
        else
        {
            groupId = "_";
            type = _build;
            targetCount = _count;
            joiner = _joiner;
            if (targetCount == 0 && msg.Get("parts") is JsObject parts) targetCount = (int)(parts.Get("count") as double? ?? 0);
            if (_build == "object" && _key.TryGetValue(msg, out var keyValue) && keyValue is not null) key = JsValue.ToJsString(keyValue);
        }

        if (msg.ContainsKey("reset"))
        {
            if (_groups.Remove(groupId, out var dropped)) Drop(dropped);
            return ValueTask.CompletedTask;
        }

        var hasValue = _full ? true : property.TryGetValue(msg, out _);
        object? value = _full ? msg : property.GetValue(msg);

        if (type == "object" && string.IsNullOrEmpty(key))
        {
            if (_mode == "auto")
            {
                Warn("Message missing 'msg.parts.key' property - cannot add to object");
            }
            else if (msg.ContainsKey("complete"))
            {
                if (_groups.TryGetValue(groupId, out var pending))
                {
                    pending.Completions.Add(input.Defer());
                    CompleteSend(groupId, pending);
                }
            }
            else
            {
                Warn($"Message missing key property 'msg.{_key.Text}' - cannot add to object");
            }
            return ValueTask.CompletedTask;
        }

        if (!_groups.TryGetValue(groupId, out var group))
        {
            group = new Group
            {
                Type = type is "object" or "merged" ? "object" : type,
                TargetCount = targetCount,
                Joiner = type is "string" or "buffer" ? joiner : null,
                ArrayLength = arrayLength,
                Property = property,
                Message = RuntimeClone(msg),
            };
            _groups[groupId] = group;
            if (_timeout > TimeSpan.Zero) group.Timer = StartGroupTimer(groupId, group);
        }
        else if (_timeout > TimeSpan.Zero && msg.ContainsKey("restartTimeout"))
        {
            StopTimer(group.Timer);
            group.Timer = StartGroupTimer(groupId, group);
        }

        if (type == "buffer" && hasValue && value is not byte[])
        {
            throw new InvalidOperationException($"Invalid type for join: {JsValue.TypeName(value)}");
        }

        if (type == "object")
        {
            group.Object[key!] = value;
            group.Count = group.Object.Count;
        }
        else if (type == "merged")
        {
            if (value is JsObject obj)
            {
                foreach (var (k, v) in obj)
                {
                    if (k != "_msgid") group.Object[k] = v;
                }
                group.Count++;
            }
            else if (!msg.ContainsKey("complete"))
            {
                Warn("Cannot merge non-object types");
            }
        }
        else if (index is { } i && i >= 0)
        {
            var position = (int)i;
            while (group.Items.Count <= position) group.Items.Add(Missing);
            if (ReferenceEquals(group.Items[position], Missing)) group.Count++;
            group.Items[position] = value;
        }
        else if (hasValue)
        {
            group.Items.Add(value);
            group.Count++;
        }

        group.Completions.Add(input.Defer());
        foreach (var (k, v) in msg) group.Message[k] = v;
        var target = group.TargetCount;
        if (msg.Get("parts") is JsObject incoming && target == 0)
        {
            target = (int)(incoming.Get("count") as double? ?? 0);
            group.TargetCount = target;
        }

        if ((target > 0 && group.Count >= target) || msg.ContainsKey("complete"))
        {
            CompleteSend(groupId, group);
        }
        else if (_maxKept > 0 && _groups.Values.Sum(g => g.Completions.Count) > _maxKept)
        {
            foreach (var g in _groups.Values) Drop(g);
            _groups.Clear();
            throw new InvalidOperationException("Too many pending messages");
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Marks an index slot that has not arrived yet (null is a value a sequence may carry).</summary>
    private static readonly object Missing = new();

    private ITimer StartGroupTimer(string groupId, Group group) =>
        StartTimer(_timeout, Timeout.InfiniteTimeSpan, () =>
        {
            if (_groups.TryGetValue(groupId, out var current) && ReferenceEquals(current, group)) CompleteSend(groupId, group);
            return ValueTask.CompletedTask;
        });

    private void CompleteSend(string groupId, Group group)
    {
        StopTimer(group.Timer);
        group.Timer = null;
        if (!_accumulate || group.Message.ContainsKey("complete")) _groups.Remove(groupId);
        var items = group.Items.Select(v => ReferenceEquals(v, Missing) ? null : v).ToList();
        object? result;
        switch (group.Type)
        {
            case "object":
                result = JsValue.DeepClone(group.Object);
                break;
            case "string":
                var separator = group.Joiner switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    List<object?> list => Encoding.UTF8.GetString(SequenceSupport.ToBytes(list)),
                    null => "",
                    var other => JsValue.ToJsString(other),
                };
                result = string.Join(separator, items.Select(SequenceSupport.JoinText));
                break;
            case "buffer":
                var joinBytes = SequenceSupport.ToBytes(group.Joiner);
                var output = new List<byte>();
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0) output.AddRange(joinBytes);
                    output.AddRange(items[i] as byte[] ?? SequenceSupport.ToBytes(items[i]));
                }
                result = output.ToArray();
                break;
            case "array" when group.ArrayLength > 1:
                var flat = new List<object?>();
                foreach (var item in items)
                {
                    if (item is List<object?> chunk) flat.AddRange(chunk);
                    else flat.Add(item);
                }
                result = JsValue.DeepClone(flat);
                break;
            default:
                result = JsValue.DeepClone(items);
                break;
        }
        var msg = RuntimeClone(group.Message);
        group.Property.SetValue(msg, result);
        if (msg.Get("parts") is JsObject parts && parts.Get("parts") is JsObject parent) msg["parts"] = parent;
        else msg.Remove("parts");
        msg.Remove("complete");
        group.Message.Remove("complete");
        Send(msg);
        foreach (var completion in group.Completions) completion.Done();
        group.Completions.Clear();
    }

    private void Drop(Group group)
    {
        StopTimer(group.Timer);
        foreach (var completion in group.Completions) completion.Done();
        group.Completions.Clear();
        group.Reduced.Clear();
    }

    private void Reduce(NodeInput input, JsObject msg)
    {
        if (msg.Get("parts") is not JsObject parts || parts.Get("id") is null || parts.Get("index") is not double)
        {
            Warn("Message missing msg.parts property - cannot reduce");
            return;
        }
        var groupId = JsValue.ToJsString(parts.Get("id"));
        if (msg.ContainsKey("reset"))
        {
            if (_groups.Remove(groupId, out var dropped)) Drop(dropped);
            return;
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            group = new Group { Type = "reduce" };
            _groups[groupId] = group;
        }
        group.Reduced.Add(msg);
        group.Completions.Add(input.Defer());
        if (_maxKept > 0 && _groups.Values.Sum(g => g.Reduced.Count) > _maxKept)
        {
            foreach (var g in _groups.Values) Drop(g);
            _groups.Clear();
            throw new InvalidOperationException("Too many pending messages");
        }
        if (parts.Get("count") is not double count || group.Reduced.Count < count) return;

        _groups.Remove(groupId);
        var ordered = group.Reduced.OrderBy(m => ((JsObject)m["parts"]!).Get("index") as double? ?? 0).ToList();
        if (_reduceRight) ordered.Reverse();
        var scope = TypedValue.ScopeFor(this);
        try
        {
            var accumulator = _reduceInit!.Evaluate(this, msg);
            foreach (var item in ordered)
            {
                var itemParts = (JsObject)item["parts"]!;
                accumulator = Evaluate(_reduceExp!, item, scope, accumulator, itemParts.Get("index"), count);
            }
            if (_reduceFixup is not null) accumulator = Evaluate(_reduceFixup, new JsObject(), scope, accumulator, null, count);
            var output = RuntimeClone(ordered[^1]);
            output["payload"] = accumulator;
            if (output.Get("parts") is JsObject last && last.Get("parts") is JsObject parent) output["parts"] = parent;
            else output.Remove("parts");
            Send(output);
            foreach (var completion in group.Completions) completion.Done();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One error for the sequence, reported with its last message; the others are simply finished.
            for (var i = 0; i < group.Completions.Count - 1; i++) group.Completions[i].Done();
            group.Completions[^1].Fail(new InvalidOperationException($"Invalid JSONata expression: {(ex.InnerException ?? ex).Message}", ex));
        }
    }

    private static object? Evaluate(ICompiledExpression expression, JsObject msg, ExpressionScope scope, object? accumulator, object? index, double count)
    {
        var withVariables = new ExpressionScope(scope.Flow, scope.Env, scope.Global)
        {
            Variables = new Dictionary<string, object?> { ["A"] = accumulator, ["I"] = index, ["N"] = count },
        };
        return expression.TryEvaluate(msg, withVariables, out var result) ? result : null;
    }

    private static JsObject RuntimeClone(JsObject msg) => FlowEngine.Core.Runtime.NodeRunner.CloneMessage(msg);
}
