using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Sequence;

/// <summary>Node-RED's sort node: sorts an array property, or the messages of a sequence.</summary>
internal sealed class SortNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("sort")
    {
        Category = "sequence",
        Color = "#E2D96E",
        Icon = "sort.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/sort",
        Help = """
            Sorts a message property or a sequence of messages.

            * `targetType` **msg**: sorts the array in msg[`target`] (default `payload`), by each element (`msgKeyType`
              `elem`) or by the JSONata `msgKey` evaluated against each element (`jsonata`). A non-array passes unchanged.
            * `targetType` **seq**: holds the messages of a sequence (by `msg.parts.id`) until `msg.parts.count` arrived,
              then sends them sorted by the message property `seqKey` (`seqKeyType` `msg`) or the JSONata `seqKey`
              (`jsonata`), with `msg.parts.index` renumbered. Messages without `msg.parts` are dropped.

            `order` is `ascending` or `descending`; `as_num` compares keys as numbers. Equal keys keep their order.
            Held messages count against `nodeMessageBufferMaxLength`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("order", PropertyKind.Select) { Default = "ascending", Options = ["ascending", "descending"] },
            new PropertyDeclaration("as_num", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("target", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "targetType", Options = ["msg", "seq"] },
            new PropertyDeclaration("targetType", PropertyKind.Select) { Default = "msg", Options = ["msg", "seq"] },
            new PropertyDeclaration("msgKey", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "msgKeyType", Options = ["elem", "jsonata"] },
            new PropertyDeclaration("msgKeyType", PropertyKind.Select) { Default = "elem", Options = ["elem", "jsonata"] },
            new PropertyDeclaration("seqKey", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "seqKeyType", Options = ["msg", "jsonata"] },
            new PropertyDeclaration("seqKeyType", PropertyKind.Select) { Default = "msg", Options = ["msg", "jsonata"] },
        ],
    };

    private readonly bool _descending;
    private readonly bool _asNumber;
    private readonly bool _sequence;
    private readonly PropertyPath _target;
    private readonly ICompiledExpression? _keyExpression;
    private readonly PropertyPath? _seqKey;
    private readonly int _maxKept;
    private readonly Dictionary<string, List<(JsObject Message, InputCompletion Completion)>> _groups = [];

    public SortNode(NodeSetup setup) : base(setup)
    {
        _descending = Config.GetString("order", "ascending") == "descending";
        _asNumber = Config.GetBool("as_num", false);
        var targetType = Config.GetString("targetType", "msg");
        if (targetType is not ("msg" or "seq" or "")) throw Config.Invalid("targetType", $"\"{targetType}\" is not one of msg, seq");
        _sequence = targetType == "seq";
        _target = SequenceSupport.ParsePath(Config, "target");
        var keyType = _sequence ? Config.GetString("seqKeyType", "msg") : Config.GetString("msgKeyType", "elem");
        var keyProperty = _sequence ? "seqKey" : "msgKey";
        var key = Config.GetString(keyProperty, "payload");
        if (keyType == "jsonata")
        {
            var engine = Services.Expressions ?? throw Config.Invalid(keyProperty, "JSONata is not available in this runtime");
            try
            {
                _keyExpression = engine.Compile(key);
            }
            catch (TypedValueException ex)
            {
                throw Config.Invalid(keyProperty, ex.Message);
            }
        }
        else if (_sequence)
        {
            _seqKey = SequenceSupport.ParsePath(Config, "seqKey");
        }
        _maxKept = Services.Settings.NodeMessageBufferMaxLength;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_sequence)
        {
            if (_target.TryGetValue(msg, out var value) && value is List<object?> list)
            {
                var keys = list.Select(element => _keyExpression is null ? element : EvaluateKey(element)).ToList();
                var order = Enumerable.Range(0, list.Count).ToList();
                order.Sort((a, b) => Compare(keys[a], keys[b]) is var c and not 0 ? c : a.CompareTo(b));
                var sorted = order.Select(i => list[i]).ToList();
                list.Clear();
                list.AddRange(sorted);
            }
            Send(msg);
            return ValueTask.CompletedTask;
        }

        if (msg.Get("parts") is not JsObject parts || parts.Get("id") is null || parts.Get("index") is not double)
        {
            return ValueTask.CompletedTask;
        }
        var id = JsValue.ToJsString(parts.Get("id"));
        if (!_groups.TryGetValue(id, out var group)) _groups[id] = group = [];
        group.Add((msg, input.Defer()));
        if (_maxKept > 0 && _groups.Values.Sum(g => g.Count) > _maxKept)
        {
            foreach (var (_, completion) in _groups.Values.SelectMany(g => g)) completion.Done();
            _groups.Clear();
            throw new InvalidOperationException("Too many pending messages");
        }
        if (parts.Get("count") is not double count || group.Count < count) return ValueTask.CompletedTask;

        _groups.Remove(id);
        var sequenceKeys = group.Select(e => _keyExpression is null ? _seqKey!.GetValue(e.Message) : EvaluateKey(e.Message)).ToList();
        var indexes = Enumerable.Range(0, group.Count).ToList();
        // Equal keys keep the order of parts.index, as a stable sort of the sequence would.
        double IndexOf(int i) => ((JsObject)group[i].Message["parts"]!).Get("index") as double? ?? 0;
        indexes.Sort((a, b) => Compare(sequenceKeys[a], sequenceKeys[b]) is var c and not 0 ? c : IndexOf(a).CompareTo(IndexOf(b)));
        for (var position = 0; position < indexes.Count; position++)
        {
            var item = group[indexes[position]].Message;
            ((JsObject)item["parts"]!)["index"] = (double)position;
            Send(item);
        }
        foreach (var (_, completion) in group) completion.Done();
        return ValueTask.CompletedTask;
    }

    private object? EvaluateKey(object? target)
    {
        var context = target as JsObject ?? new JsObject { ["_"] = target };
        try
        {
            // The expression engine evaluates against an object, so a primitive element is offered wrapped as {"_": value}.
            var scope = TypedValue.ScopeFor(this);
            return _keyExpression!.TryEvaluate(context, scope, out var result) ? result : null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"Invalid JSONata expression: {(ex.InnerException ?? ex).Message}", ex);
        }
    }

    private int Compare(object? x, object? y)
    {
        int result;
        if (_asNumber)
        {
            result = JsValue.ToNumber(x).CompareTo(JsValue.ToNumber(y));
        }
        else
        {
            // JavaScript's relational comparison: x < y ? -1 : x > y ? 1 : 0 (incomparable values count as equal).
            result = JsValue.Compare(x, y) ?? 0;
        }
        return _descending ? -result : result;
    }
}
