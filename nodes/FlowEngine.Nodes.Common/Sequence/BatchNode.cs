using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Sequence;

/// <summary>Node-RED's batch node: groups messages into sequences by count (with overlap), by interval, or by concatenating topics.</summary>
internal sealed class BatchNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("batch")
    {
        Category = "sequence",
        Color = "#E2D96E",
        Icon = "batch.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/batch",
        Help = """
            Creates sequences of messages.

            * **count**: every `count` messages are sent as one sequence; the last `overlap` messages of a sequence
              start the next one.
            * **interval**: every `interval` seconds the messages received are sent as one sequence; with
              `allowEmptySequence` an empty interval sends `{payload: null}` as a sequence of one.
            * **concat**: waits for a complete sequence (by `msg.parts.count`) of every topic in `topics` and sends them
              concatenated in that order.

            Output messages get new `msg.parts` = `{id, index, count}`. `msg.reset` drops the messages held.
            Held messages count against `nodeMessageBufferMaxLength`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "count", Options = ["count", "interval", "concat"] },
            new PropertyDeclaration("count", PropertyKind.Number) { Default = 10 },
            new PropertyDeclaration("overlap", PropertyKind.Number) { Default = 0 },
            new PropertyDeclaration("interval", PropertyKind.Number) { Default = 10 },
            new PropertyDeclaration("allowEmptySequence", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("topics", PropertyKind.Any) { Default = new List<object?> { new JsObject { ["topic"] = "" } } },
            new PropertyDeclaration("honourParts", PropertyKind.Bool) { Default = false },
        ],
    };

    private readonly string _mode;
    private readonly int _count;
    private readonly int _overlap;
    private readonly TimeSpan _interval;
    private readonly bool _allowEmpty;
    private readonly List<string> _topics = [];
    private readonly int _maxKept;
    private readonly List<(JsObject Message, InputCompletion? Completion)> _queue = [];

    // concat mode: per topic, per sequence id, the messages received so far (in arrival order of sequences).
    private readonly Dictionary<string, List<(string Id, List<(JsObject Message, InputCompletion Completion)> Items)>> _sequences = [];
    private ITimer? _timer;

    public BatchNode(NodeSetup setup) : base(setup)
    {
        _mode = Config.GetString("mode", "count");
        switch (_mode)
        {
            case "count":
                _count = (int)Config.GetNumber("count", 10);
                _overlap = (int)Config.GetNumber("overlap", 0);
                if (_count < 1) throw Config.Invalid("count", "must be at least 1");
                if (_overlap < 0 || _overlap >= _count) throw Config.Invalid("overlap", "must be at least 0 and less than count");
                break;
            case "interval":
                var seconds = Config.GetNumber("interval", 10);
                if (seconds <= 0) throw Config.Invalid("interval", "must be greater than 0");
                _interval = TimeSpan.FromSeconds(seconds);
                _allowEmpty = Config.GetBool("allowEmptySequence", false);
                break;
            case "concat":
                foreach (var item in Config.GetList("topics"))
                {
                    if (item is JsObject t) _topics.Add(JsValue.ToJsString(t.Get("topic") ?? ""));
                }
                break;
            default:
                throw Config.Invalid("mode", $"\"{_mode}\" is not one of count, interval, concat");
        }
        _maxKept = Services.Settings.NodeMessageBufferMaxLength;
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_mode == "interval") _timer = StartTimer(_interval, _interval, OnInterval);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        StopTimer(_timer);
        Reset();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            Reset();
            return ValueTask.CompletedTask;
        }
        switch (_mode)
        {
            case "count":
                _queue.Add((msg, input.Defer()));
                if (_queue.Count >= _count)
                {
                    // The overlapping tail starts the next sequence as copies taken before sending: once sent, the
                    // originals belong to the receivers.
                    var tail = _queue.Skip(_count - _overlap).Select(e => (RuntimeCopy(e.Message), (InputCompletion?)null)).ToList();
                    SendSequence(_queue.Select(e => e.Message).ToList());
                    foreach (var (_, completion) in _queue) completion?.Done();
                    _queue.Clear();
                    _queue.AddRange(tail);
                }
                else
                {
                    CheckLimit(_queue.Count);
                }
                break;
            case "interval":
                _queue.Add((msg, input.Defer()));
                CheckLimit(_queue.Count);
                break;
            case "concat":
                Concat(input, msg);
                break;
        }
        return ValueTask.CompletedTask;
    }

    private void CheckLimit(int held)
    {
        if (_maxKept > 0 && held > _maxKept)
        {
            Reset();
            throw new InvalidOperationException("Too many pending messages");
        }
    }

    private ValueTask OnInterval()
    {
        if (_queue.Count == 0)
        {
            if (_allowEmpty) SendSequence([new JsObject { ["payload"] = null }]);
            return ValueTask.CompletedTask;
        }
        var batch = _queue.ToList();
        _queue.Clear();
        SendSequence(batch.Select(e => e.Message).ToList());
        foreach (var (_, completion) in batch) completion?.Done();
        return ValueTask.CompletedTask;
    }

    private void Concat(NodeInput input, JsObject msg)
    {
        var topic = JsValue.ToJsString(msg.Get("topic") ?? "");
        if (!_topics.Contains(topic) || msg.Get("parts") is not JsObject parts || parts.Get("id") is null || parts.Get("count") is not double)
        {
            // Not part of a listed topic's sequence: nothing to concatenate it with.
            return;
        }
        var id = JsValue.ToJsString(parts.Get("id"));
        if (!_sequences.TryGetValue(topic, out var list)) _sequences[topic] = list = [];
        var entry = list.FirstOrDefault(s => s.Id == id);
        if (entry.Items is null)
        {
            entry = (id, []);
            list.Add(entry);
        }
        entry.Items.Add((msg, input.Defer()));
        CheckLimit(_sequences.Values.Sum(l => l.Sum(s => s.Items.Count)));
        TrySendConcat();
    }

    private void TrySendConcat()
    {
        var chosen = new List<(string Topic, int Index)>();
        foreach (var topic in _topics.Distinct())
        {
            if (!_sequences.TryGetValue(topic, out var list)) return;
            var index = list.FindIndex(IsComplete);
            if (index < 0) return;
            chosen.Add((topic, index));
        }
        var messages = new List<JsObject>();
        var completions = new List<InputCompletion>();
        foreach (var topic in _topics)
        {
            var (_, index) = chosen.First(c => c.Topic == topic);
            var sequence = _sequences[topic][index];
            messages.AddRange(sequence.Items
                .OrderBy(i => ((JsObject)i.Message["parts"]!).Get("index") as double? ?? 0)
                .Select(i => RuntimeCopy(i.Message)));
            completions.AddRange(sequence.Items.Select(i => i.Completion));
        }
        foreach (var (topic, index) in chosen) _sequences[topic].RemoveAt(index);
        SendSequence(messages);
        foreach (var completion in completions) completion.Done();
    }

    private static bool IsComplete((string Id, List<(JsObject Message, InputCompletion Completion)> Items) sequence) =>
        sequence.Items.Count > 0 && ((JsObject)sequence.Items[0].Message["parts"]!).Get("count") is double count && sequence.Items.Count >= count;

    private void SendSequence(List<JsObject> messages)
    {
        var id = MessageIds.NewId();
        for (var i = 0; i < messages.Count; i++)
        {
            var msg = messages[i];
            msg["parts"] = new JsObject { ["id"] = id, ["index"] = (double)i, ["count"] = (double)messages.Count };
            Send(msg);
        }
    }

    private void Reset()
    {
        foreach (var (_, completion) in _queue) completion?.Done();
        _queue.Clear();
        foreach (var sequence in _sequences.Values.SelectMany(l => l))
        {
            foreach (var (_, completion) in sequence.Items) completion.Done();
        }
        _sequences.Clear();
    }

    private static JsObject RuntimeCopy(JsObject msg)
    {
        var copy = NodeRunner.CloneMessage(msg);
        copy.Remove("_msgid");
        return copy;
    }
}
