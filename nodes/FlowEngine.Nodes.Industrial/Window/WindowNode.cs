using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Window;

/// <summary>Tumbling and sliding windows per tag, by time or by count, with the usual aggregates.</summary>
internal sealed class WindowNode : IndustrialNode
{
    public static readonly string[] Operations = ["all", "min", "max", "mean", "sum", "count", "first", "last", "stdev"];

    public static readonly NodeDeclaration Declaration = new("window")
    {
        Category = "industrial",
        Color = "#E2D96E",
        Icon = "batch.svg",
        PaletteLabel = "window",
        Inputs = 1,
        Outputs = 2,
        OutputLabels = ["aggregates", "late messages"],
        DefaultLabel = "window",
        Help = """
            Aggregates the numeric **property** (`payload`) of each tag (**tagProperty**, `topic`) over a window.

            * **windowType** `tumbling`: windows follow one another without overlap; one output per window.
              `sliding`: one output per message, over the window that ends with it.
            * **by** `count`: the window holds **size** messages. `time`: the window spans **size** seconds.
              Tumbling time windows are aligned to multiples of size since 1970-01-01 UTC (size 60 = whole
              minutes) and are sent when they end (plus **grace** seconds), even if no further message comes;
              empty windows send nothing.
            * **timestampProperty** (empty = the time a message arrives): the message's own time (a Date, epoch
              milliseconds or ISO string), for data that arrives late or is replayed.
            * **late**: a message whose time falls in a tumbling window already sent, or before the newest
              message of a sliding time window, is `drop`ped (counted in the status), sent on output 2 unchanged
              (`output`), or `include`d (tumbling: into the window open now; sliding: in time order if still inside
              the window).
            * **operation**: `all` gives an object, any other a single number.

            ### Output 1
            `msg.topic` = the tag, `msg.payload` = `{min, max, mean, sum, count, first, last, stdev}` (or one of
            them), `msg.window = {type, by, start, end, count}` with ISO 8601 UTC times: the window's bounds for time
            windows, the first and last sample's time for count windows. `stdev` is the sample standard deviation
            (n − 1; 0 for one sample).

            ### Input
            `msg.reset`: drops the open windows of the message's tag (all tags when it has none), sending nothing.
            `msg.flush`: sends the open tumbling windows of the tag (or all) now. Neither is passed on.
            A value that is not a number is an error for catch nodes and changes nothing.

            ### State
            In memory. A deploy that does not change the node keeps open windows; changing it starts afresh.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value" },
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag" },
            new PropertyDeclaration("windowType", PropertyKind.Select) { Default = "tumbling", Options = ["tumbling", "sliding"], Label = "Window" },
            new PropertyDeclaration("by", PropertyKind.Select) { Default = "count", Options = ["count", "time"], Label = "By" },
            new PropertyDeclaration("size", PropertyKind.Number) { Default = 10.0, Label = "Size (messages or seconds)" },
            new PropertyDeclaration("operation", PropertyKind.Select) { Default = "all", Options = Operations, Label = "Output" },
            new PropertyDeclaration("timestampProperty", PropertyKind.String) { Default = "", Label = "Timestamp (empty: arrival)" },
            new PropertyDeclaration("late", PropertyKind.Select) { Default = "drop", Options = ["drop", "output", "include"], Label = "Late messages" },
            new PropertyDeclaration("grace", PropertyKind.Number) { Default = 0.0, Label = "Grace for late messages (s)" },
        ],
    };

    private sealed class OpenWindow(long start, long end)
    {
        public long Start { get; } = start;
        public long End { get; } = end;
        public RunningAggregate Aggregate;
        public long FirstTime = long.MaxValue;
        public long LastTime = long.MinValue;
        public bool Closed;

        public void Add(double value, long time)
        {
            Aggregate.Add(value);
            if (time < FirstTime) FirstTime = time;
            if (time > LastTime) LastTime = time;
        }
    }

    private sealed class TagWindows(string tag)
    {
        public string Tag { get; } = tag;
        public bool Removed;
        /// <summary>Tumbling: open windows by start (time windows may have more than one open during the grace time).</summary>
        public readonly SortedList<long, OpenWindow> Open = new();
        /// <summary>Tumbling by time: end of the newest window already sent; earlier messages are late.</summary>
        public long ClosedUpTo = long.MinValue;
        /// <summary>Sliding: samples in time order.</summary>
        public readonly List<(long Time, double Value)> Samples = [];
        public long Newest = long.MinValue;
    }

    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _tagPath;
    private readonly bool _sliding;
    private readonly bool _byTime;
    private readonly int _count;
    private readonly long _span;
    private readonly string _operation;
    private readonly PropertyPath? _timestampPath;
    private readonly string _late;
    private readonly long _grace;
    private readonly Dictionary<string, TagWindows> _tags = new(StringComparer.Ordinal);
    private readonly DueQueue<(TagWindows Tag, OpenWindow Window)> _due = new();
    private long _windowsSent;
    private long _lateCount;

    public WindowNode(NodeSetup setup) : base(setup)
    {
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _sliding = Config.GetString("windowType", "tumbling") switch
        {
            "tumbling" or "" => false,
            "sliding" => true,
            var other => throw Config.Invalid("windowType", $"expected tumbling or sliding, got \"{other}\""),
        };
        _byTime = Config.GetString("by", "count") switch
        {
            "count" or "" => false,
            "time" => true,
            var other => throw Config.Invalid("by", $"expected count or time, got \"{other}\""),
        };
        var size = Config.GetNumber("size", 10);
        if (_byTime)
        {
            if (size <= 0 || !double.IsFinite(size)) throw Config.Invalid("size", "a time window needs a size of more than zero seconds");
            _span = MessageValues.SecondsToTicks(size);
        }
        else
        {
            if (size < 1 || size != Math.Floor(size) || size > 1_000_000) throw Config.Invalid("size", "a count window needs a whole number of messages from 1 to 1,000,000");
            _count = (int)size;
        }
        _operation = Config.GetString("operation", "all") is { Length: > 0 } op ? op : "all";
        if (!Operations.Contains(_operation)) throw Config.Invalid("operation", $"expected one of {string.Join(", ", Operations)}, got \"{_operation}\"");
        _timestampPath = MessageValues.OptionalPath(Config, "timestampProperty");
        _late = Config.GetString("late", "drop") is { Length: > 0 } late ? late : "drop";
        if (_late is not ("drop" or "output" or "include")) throw Config.Invalid("late", $"expected drop, output or include, got \"{_late}\"");
        _grace = MessageValues.SecondsToTicks(MessageValues.Seconds(Config, "grace", 0));
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset") || msg.ContainsKey("flush"))
        {
            Control(msg);
            return ValueTask.CompletedTask;
        }
        var tag = MessageValues.TagOf(_tagPath, msg);
        var raw = _valuePath.GetValue(msg);
        if (!MessageValues.TryNumber(raw, out var value)) throw MessageValues.NotANumber(_valuePath, tag, raw);
        var time = NowTicks;
        if (_timestampPath?.GetValue(msg) is { } stamp && !MessageValues.TryTime(stamp, out time))
        {
            throw new IndustrialInputException($"msg.{_timestampPath.Text} is not a time (got {MessageValues.Describe(stamp)}) for tag \"{tag}\"");
        }
        if (!_tags.TryGetValue(tag, out var windows))
        {
            windows = new TagWindows(tag);
            _tags[tag] = windows;
        }
        if (_sliding) AddSliding(windows, msg, value, time);
        else if (_byTime) AddTumblingByTime(windows, msg, value, time);
        else AddTumblingByCount(windows, value, time);
        return ValueTask.CompletedTask;
    }

    private void AddTumblingByCount(TagWindows windows, double value, long time)
    {
        if (windows.Open.Count == 0) windows.Open[0] = new OpenWindow(0, 0);
        var window = windows.Open.Values[0];
        window.Add(value, time);
        if (window.Aggregate.Count >= _count)
        {
            windows.Open.Clear();
            Emit(windows.Tag, window, window.FirstTime, window.LastTime);
        }
    }

    private void AddTumblingByTime(TagWindows windows, JsObject msg, double value, long time)
    {
        var start = FloorToSpan(time);
        if (start < windows.ClosedUpTo)
        {
            if (!HandleLate(msg)) return;
            start = FloorToSpan(NowTicks);
            if (start < windows.ClosedUpTo) return; // replayed data: even the window of the present is closed
        }
        if (!windows.Open.TryGetValue(start, out var window))
        {
            window = new OpenWindow(start, start + _span);
            windows.Open[start] = window;
            var due = window.End + _grace;
            _due.Add((windows, window), due);
            WakeAt(due);
        }
        window.Add(value, time);
    }

    private long FloorToSpan(long ticks)
    {
        var offset = ticks - DateTime.UnixEpoch.Ticks;
        var floored = offset - ((offset % _span) + _span) % _span;
        return DateTime.UnixEpoch.Ticks + floored;
    }

    /// <summary>Applies the late-message option; true when the message should still be counted ("include").</summary>
    private bool HandleLate(JsObject msg)
    {
        _lateCount++;
        StatusChanged();
        switch (_late)
        {
            case "output":
                Send(1, msg);
                return false;
            case "include":
                return true;
            default:
                return false;
        }
    }

    private void AddSliding(TagWindows windows, JsObject msg, double value, long time)
    {
        var samples = windows.Samples;
        if (_byTime && time < windows.Newest)
        {
            if (!HandleLate(msg)) return;
            if (time <= windows.Newest - _span) return; // too old even for the window it would join
            var index = samples.FindLastIndex(s => s.Time <= time) + 1;
            samples.Insert(index, (time, value));
        }
        else
        {
            samples.Add((time, value));
            windows.Newest = Math.Max(windows.Newest, time);
        }
        // Evict what fell out of the window that ends with the newest sample.
        int evict;
        if (_byTime)
        {
            var cutoff = windows.Newest - _span;
            evict = 0;
            while (evict < samples.Count && samples[evict].Time <= cutoff) evict++;
        }
        else
        {
            evict = Math.Max(0, samples.Count - _count);
        }
        if (evict > 0) samples.RemoveRange(0, evict);

        var aggregate = new RunningAggregate();
        foreach (var sample in samples) aggregate.Add(sample.Value);
        var window = new OpenWindow(0, 0) { Aggregate = aggregate, FirstTime = samples[0].Time, LastTime = samples[^1].Time };
        if (_byTime) Emit(windows.Tag, window, windows.Newest - _span, windows.Newest);
        else Emit(windows.Tag, window, window.FirstTime, window.LastTime);
    }

    private void Control(JsObject msg)
    {
        var tag = _tagPath.GetValue(msg) is null ? null : MessageValues.TagOf(_tagPath, msg);
        var targets = tag is null || tag.Length == 0 ? _tags.Values.ToList() : _tags.TryGetValue(tag, out var one) ? [one] : [];
        var flush = !msg.ContainsKey("reset");
        foreach (var windows in targets)
        {
            if (flush)
            {
                foreach (var window in windows.Open.Values.ToList()) Close(windows, window);
                continue;
            }
            windows.Removed = true;
            _tags.Remove(windows.Tag);
        }
        StatusChanged();
    }

    private void Close(TagWindows windows, OpenWindow window)
    {
        if (window.Closed) return;
        window.Closed = true;
        windows.Open.Remove(window.Start);
        if (_byTime)
        {
            windows.ClosedUpTo = Math.Max(windows.ClosedUpTo, window.End);
            Emit(windows.Tag, window, window.Start, window.End);
        }
        else
        {
            Emit(windows.Tag, window, window.FirstTime, window.LastTime);
        }
    }

    protected override long? OnWake(long now)
    {
        while (_due.TryTakeDue(now, out var item, out _))
        {
            if (item.Tag.Removed) continue;
            // Windows of one tag close in start order: the queue orders by due time, which follows start.
            Close(item.Tag, item.Window);
        }
        return _due.Next;
    }

    private void Emit(string tag, OpenWindow window, long start, long end)
    {
        var aggregate = window.Aggregate;
        if (aggregate.Count == 0) return;
        object? payload = _operation switch
        {
            "min" => aggregate.Min,
            "max" => aggregate.Max,
            "mean" => aggregate.Mean,
            "sum" => aggregate.Sum,
            "count" => (double)aggregate.Count,
            "first" => aggregate.First,
            "last" => aggregate.Last,
            "stdev" => aggregate.StandardDeviation,
            _ => new JsObject
            {
                ["min"] = aggregate.Min,
                ["max"] = aggregate.Max,
                ["mean"] = aggregate.Mean,
                ["sum"] = aggregate.Sum,
                ["count"] = (double)aggregate.Count,
                ["first"] = aggregate.First,
                ["last"] = aggregate.Last,
                ["stdev"] = aggregate.StandardDeviation,
            },
        };
        _windowsSent++;
        Send(0, new JsObject
        {
            ["topic"] = tag,
            ["payload"] = payload,
            ["window"] = new JsObject
            {
                ["type"] = _sliding ? "sliding" : "tumbling",
                ["by"] = _byTime ? "time" : "count",
                ["start"] = JsJson.FormatIsoDate(ToDateTime(start)),
                ["end"] = JsJson.FormatIsoDate(ToDateTime(end)),
                ["count"] = (double)aggregate.Count,
            },
        });
        StatusChanged();
    }

    protected override NodeStatus BuildStatus() => new("grey", "dot",
        _lateCount > 0 ? $"{MessageValues.FormatCount(_windowsSent)} sent, {MessageValues.FormatCount(_lateCount)} late" : $"{MessageValues.FormatCount(_windowsSent)} sent");
}
