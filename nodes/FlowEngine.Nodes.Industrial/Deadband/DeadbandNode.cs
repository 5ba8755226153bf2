using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Deadband;

/// <summary>
/// Report-by-exception per tag: passes a value only when it moved further than a band from the reference, with a
/// minimum interval between outputs (rate limit) and a maximum interval (heartbeat that repeats the last value).
/// </summary>
internal sealed class DeadbandNode : IndustrialNode
{
    public static readonly NodeDeclaration Declaration = new("deadband")
    {
        Category = "industrial",
        Color = "#C7E9C0",
        Icon = "filter.svg",
        PaletteLabel = "deadband",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "deadband",
        Help = """
            Passes a message only when its value has moved far enough, separately for each tag (the value of
            **tagProperty**, `msg.topic` by default; messages without it share one state).

            * **property** (`payload`): the numeric value. Numbers, numeric strings and booleans (1/0) are accepted;
              anything else is an error for catch nodes and changes nothing.
            * **bandType** `absolute` or `percent`, **band** (≥ 0): a value passes when |value − reference| &gt; band
              (absolute) or &gt; |reference| × band / 100 (percent). With **inclusive** a change exactly equal to the
              band passes too. With a percent band and a reference of 0 any change passes. Band 0 passes every change.
            * **compareTo** `sent` (reference = last value sent, so slow drift is reported) or `received`
              (reference = last value received, so only jumps between samples are reported).
            * The first value of a tag always passes.
            * **minInterval** (seconds, 0 = off): at most one output per tag in this time. With **rateLimit** `last`,
              the newest value that passed the band during the interval is sent when it ends (a later value back
              inside the band cancels it); with `drop` it is discarded.
            * **maxInterval** (seconds, 0 = off): a heartbeat. When a tag has sent nothing for this long, its last
              sent message is sent again with `msg.heartbeat = true`, and again every maxInterval. Heartbeats do not
              start a rate-limit interval.

            ### Input
            `msg.reset` (any value): forgets the tag of the message (or every tag when the message has none); the
            next value passes as a first value. Reset messages are not passed on.

            ### Output
            The original message, unchanged (heartbeats: a copy with `heartbeat: true` and a new `_msgid`).

            ### Status
            Counts of passed and suppressed values (values held by the rate limit and then replaced count as
            suppressed), updated at most once a second.

            ### State
            Kept in memory per tag. A `nodes` or `flows` deploy that does not change this node keeps it; changing
            the node's configuration starts afresh.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value" },
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag" },
            new PropertyDeclaration("bandType", PropertyKind.Select) { Default = "absolute", Options = ["absolute", "percent"], Label = "Band type" },
            new PropertyDeclaration("band", PropertyKind.Number) { Default = 0.0, Label = "Band", Validate = NonNegative },
            new PropertyDeclaration("inclusive", PropertyKind.Bool) { Default = false, Label = "Pass a change equal to the band" },
            new PropertyDeclaration("compareTo", PropertyKind.Select) { Default = "sent", Options = ["sent", "received"], Label = "Compare with" },
            new PropertyDeclaration("minInterval", PropertyKind.Number) { Default = 0.0, Label = "Minimum interval (s)", Validate = NonNegative },
            new PropertyDeclaration("rateLimit", PropertyKind.Select) { Default = "last", Options = ["last", "drop"], Label = "Values inside the minimum interval" },
            new PropertyDeclaration("maxInterval", PropertyKind.Number) { Default = 0.0, Label = "Heartbeat interval (s)", Validate = NonNegative },
        ],
    };

    private static string? NonNegative(object? value) =>
        JsValue.ToNumber(value) is var n && n < 0 ? "must be zero or more" : null;

    private enum DueKind { Pending, Heartbeat }

    private sealed class TagState(string tag)
    {
        public string Tag { get; } = tag;
        public bool Removed;
        public double LastSent;
        public double LastReceived;
        /// <summary>A copy of the last message sent, for heartbeats (kept only when a heartbeat is configured).</summary>
        public JsObject? LastSentMessage;
        public long LastOutput;
        public JsObject? Pending;
        public double PendingValue;
        public long PendingDue;
        public long PendingQueuedAt;
        public long HeartbeatDue;
        public long HeartbeatQueuedAt;
    }

    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _tagPath;
    private readonly bool _percent;
    private readonly double _band;
    private readonly bool _inclusive;
    private readonly bool _compareToSent;
    private readonly long _minInterval;
    private readonly bool _holdLast;
    private readonly long _maxInterval;
    private readonly Dictionary<string, TagState> _tags = new(StringComparer.Ordinal);
    private readonly DueQueue<(TagState State, DueKind Kind)> _due = new();
    private long _passed;
    private long _suppressed;

    public DeadbandNode(NodeSetup setup) : base(setup)
    {
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _percent = Config.GetString("bandType", "absolute") switch
        {
            "absolute" or "" => false,
            "percent" => true,
            var other => throw Config.Invalid("bandType", $"expected absolute or percent, got \"{other}\""),
        };
        _band = Config.GetNumber("band", 0);
        if (_band < 0 || !double.IsFinite(_band)) throw Config.Invalid("band", "must be zero or more");
        _inclusive = Config.GetBool("inclusive", false);
        _compareToSent = Config.GetString("compareTo", "sent") switch
        {
            "sent" or "" => true,
            "received" => false,
            var other => throw Config.Invalid("compareTo", $"expected sent or received, got \"{other}\""),
        };
        _minInterval = MessageValues.SecondsToTicks(MessageValues.Seconds(Config, "minInterval", 0));
        _holdLast = Config.GetString("rateLimit", "last") switch
        {
            "last" or "" => true,
            "drop" => false,
            var other => throw Config.Invalid("rateLimit", $"expected last or drop, got \"{other}\""),
        };
        _maxInterval = MessageValues.SecondsToTicks(MessageValues.Seconds(Config, "maxInterval", 0));
    }

    /// <summary>Tags with state (for tests and the benchmark).</summary>
    internal int TagCount => _tags.Count;

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            Reset(msg);
            return ValueTask.CompletedTask;
        }
        var tag = MessageValues.TagOf(_tagPath, msg);
        var raw = _valuePath.GetValue(msg);
        if (!MessageValues.TryNumber(raw, out var value)) throw MessageValues.NotANumber(_valuePath, tag, raw);
        var now = NowTicks;

        if (!_tags.TryGetValue(tag, out var state))
        {
            state = new TagState(tag);
            _tags[tag] = state;
            state.LastReceived = value;
            Output(state, msg, value, now);
            return ValueTask.CompletedTask;
        }

        var reference = _compareToSent ? state.LastSent : state.LastReceived;
        state.LastReceived = value;
        if (!Exceeds(value, reference))
        {
            _suppressed++;
            if (state.Pending is not null)
            {
                // The newest value is back inside the band of what was last sent: the held one is out of date.
                state.Pending = null;
                state.PendingDue = 0;
                _suppressed++;
            }
            StatusChanged();
            return ValueTask.CompletedTask;
        }
        if (_minInterval > 0 && now - state.LastOutput < _minInterval)
        {
            if (state.Pending is not null || !_holdLast) _suppressed++;
            if (_holdLast)
            {
                state.Pending = msg;
                state.PendingValue = value;
                state.PendingDue = state.LastOutput + _minInterval;
                Schedule(state, DueKind.Pending, state.PendingDue);
            }
            StatusChanged();
            return ValueTask.CompletedTask;
        }
        Output(state, msg, value, now);
        return ValueTask.CompletedTask;
    }

    private bool Exceeds(double value, double reference)
    {
        var difference = Math.Abs(value - reference);
        var threshold = _percent ? Math.Abs(reference) * _band / 100 : _band;
        return _inclusive ? difference >= threshold : difference > threshold;
    }

    private void Output(TagState state, JsObject msg, double value, long now)
    {
        state.LastSent = value;
        state.LastOutput = now;
        state.Pending = null;
        state.PendingDue = 0;
        _passed++;
        if (_maxInterval > 0)
        {
            // Downstream nodes own the message once sent and may change it: the heartbeat repeats a private copy.
            state.LastSentMessage = NodeRunner.CloneMessage(msg);
            state.HeartbeatDue = now + _maxInterval;
            Schedule(state, DueKind.Heartbeat, state.HeartbeatDue);
        }
        Send(msg);
        StatusChanged();
    }

    private void Reset(JsObject msg)
    {
        if (_tagPath.GetValue(msg) is { } tagValue && !(tagValue is string { Length: 0 }))
        {
            var tag = MessageValues.TagOf(_tagPath, msg);
            if (_tags.Remove(tag, out var state)) state.Removed = true;
        }
        else
        {
            foreach (var state in _tags.Values) state.Removed = true;
            _tags.Clear();
            _due.Clear();
        }
        StatusChanged();
    }

    private void Schedule(TagState state, DueKind kind, long due)
    {
        ref var queuedAt = ref QueuedAt(state, kind);
        if (queuedAt != 0 && queuedAt <= due) return;
        queuedAt = due;
        _due.Add((state, kind), due);
        WakeAt(due);
    }

    private static ref long QueuedAt(TagState state, DueKind kind)
    {
        if (kind == DueKind.Pending) return ref state.PendingQueuedAt;
        return ref state.HeartbeatQueuedAt;
    }

    protected override long? OnWake(long now)
    {
        while (_due.TryTakeDue(now, out var item, out var due))
        {
            var (state, kind) = item;
            if (state.Removed) continue;
            ref var queuedAt = ref QueuedAt(state, kind);
            if (queuedAt != due) continue;
            queuedAt = 0;
            if (kind == DueKind.Pending)
            {
                if (state.Pending is null || state.PendingDue == 0) continue;
                if (state.PendingDue > now)
                {
                    Schedule(state, kind, state.PendingDue);
                    continue;
                }
                Output(state, state.Pending, state.PendingValue, now);
            }
            else
            {
                if (state.LastSentMessage is null) continue;
                if (state.HeartbeatDue > now)
                {
                    Schedule(state, kind, state.HeartbeatDue);
                    continue;
                }
                var copy = NodeRunner.CloneMessage(state.LastSentMessage);
                copy.Remove("_msgid");
                copy["heartbeat"] = true;
                state.HeartbeatDue = now + _maxInterval;
                Schedule(state, kind, state.HeartbeatDue);
                Send(copy);
            }
        }
        return _due.Next;
    }

    protected override NodeStatus BuildStatus() =>
        new("grey", "dot", $"{MessageValues.FormatCount(_passed)} passed, {MessageValues.FormatCount(_suppressed)} suppressed");
}
