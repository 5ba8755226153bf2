using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Cvt;

/// <summary>Writes tag values into a current value table, or reads them back into messages.</summary>
internal sealed class CvtNode : IndustrialNode
{
    public static readonly NodeDeclaration Declaration = new("cvt")
    {
        Category = "industrial",
        Color = "#C0DEED",
        Icon = "db.svg",
        PaletteLabel = "cvt",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "current values",
        Help = """
            A current value table (CVT): the latest value, time and quality of each tag, shared by every cvt node
            of the runtime that names the same **table** (default `default`), and readable by the host's HTTP
            endpoints and HMI pages.

            ### mode `update` (default)
            Stores **property** (`payload`) under the tag in **tagProperty** (`topic`), with the time from
            **timestampProperty** (a Date, epoch milliseconds or ISO string; empty or missing = the time it arrived)
            and the quality from **qualityProperty** (`quality`; missing = good). The message passes through
            unchanged. Objects and arrays are copied into the table.

            ### mode `get`
            Replaces `msg.payload` with table entries:
            * with a tag in the message (or a fixed **tag** in the node): `{tag, value, time, quality, updates}`,
              or `null` when the tag has no value yet;
            * with `*` or no tag: an object keyed by tag of such entries (all tags, or the tags starting with
              `msg.prefix` when given).
            `time` is an ISO 8601 UTC string; `quality` is "good", "uncertain" or "bad".

            ### Input (both modes)
            `msg.reset`: removes the message's tag from the table (all tags when it has none); not passed on.

            ### State
            The table lives in memory for the life of the runtime (deploys do not clear it; a restart does).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "update", Options = ["update", "get"], Label = "Mode" },
            new PropertyDeclaration("table", PropertyKind.String) { Default = "default", Label = "Table" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value" },
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag" },
            new PropertyDeclaration("tag", PropertyKind.String) { Default = "", Label = "Fixed tag (get mode)" },
            new PropertyDeclaration("qualityProperty", PropertyKind.String) { Default = "quality", Label = "Quality" },
            new PropertyDeclaration("timestampProperty", PropertyKind.String) { Default = "", Label = "Timestamp (empty: arrival)" },
        ],
    };

    private readonly bool _update;
    private readonly CurrentValueTable _table;
    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _tagPath;
    private readonly string _fixedTag;
    private readonly PropertyPath _qualityPath;
    private readonly PropertyPath? _timestampPath;
    private long _writes;

    public CvtNode(NodeSetup setup, IndustrialServices services) : base(setup)
    {
        _update = Config.GetString("mode", "update") switch
        {
            "update" or "" => true,
            "get" => false,
            var other => throw Config.Invalid("mode", $"expected update or get, got \"{other}\""),
        };
        var table = Config.GetString("table", CurrentValueTables.DefaultName).Trim();
        _table = services.CurrentValues(table.Length == 0 ? CurrentValueTables.DefaultName : table);
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _fixedTag = Config.GetString("tag", "").Trim();
        _qualityPath = MessageValues.Path(Config, "qualityProperty", "quality");
        _timestampPath = MessageValues.OptionalPath(Config, "timestampProperty");
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            var resetTag = MessageValues.TagOf(_tagPath, msg);
            if (resetTag.Length > 0) _table.Remove(resetTag);
            else _table.Clear();
            StatusChanged();
            return ValueTask.CompletedTask;
        }
        if (_update) Update(msg);
        else Read(msg);
        Send(msg);
        return ValueTask.CompletedTask;
    }

    private void Update(JsObject msg)
    {
        var tag = MessageValues.TagOf(_tagPath, msg);
        var time = NowTicks;
        if (_timestampPath?.GetValue(msg) is { } stamp)
        {
            if (!MessageValues.TryTime(stamp, out time))
            {
                throw new IndustrialInputException($"msg.{_timestampPath.Text} is not a time (got {MessageValues.Describe(stamp)}) for tag \"{tag}\"");
            }
        }
        _table.Set(tag, _valuePath.GetValue(msg), ToDateTime(time), Quality.Parse(_qualityPath.GetValue(msg)), Id);
        _writes++;
        StatusChanged();
    }

    private void Read(JsObject msg)
    {
        var tag = _fixedTag.Length > 0 ? _fixedTag : MessageValues.TagOf(_tagPath, msg);
        if (tag.Length > 0 && tag != "*")
        {
            msg["payload"] = _table.Get(tag)?.ToJson();
            return;
        }
        var entries = msg.Get("prefix") is string prefix && prefix.Length > 0 ? _table.Snapshot(prefix) : _table.Snapshot();
        var all = new JsObject(entries.Count);
        foreach (var entry in entries) all[entry.Tag] = entry.ToJson();
        msg["payload"] = all;
    }

    protected override NodeStatus BuildStatus() => _update
        ? new NodeStatus("grey", "dot", $"{MessageValues.FormatCount(_table.Count)} tags, {MessageValues.FormatCount(_writes)} updates")
        : new NodeStatus("grey", "ring", $"{MessageValues.FormatCount(_table.Count)} tags");
}
