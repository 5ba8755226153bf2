using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua subscribe: one subscription with a list of monitored items; one message per data change.</summary>
internal sealed class OpcUaSubscribeNode : OpcUaClientNode, IUaSubscriptionHandler
{
    public static readonly NodeDeclaration Declaration = new("opcua subscribe")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua subscribe",
        DefaultLabel = "opcua subscribe",
        Help = """
            Subscribes to data changes of OPC UA variables: one subscription, one monitored item per entry.

            **endpoint**: the `opcua-endpoint`.
            **items**: the monitored items, an array; each entry is a node id string or an object
            `{nodeId, samplingInterval, queueSize, deadbandType, deadband}` overriding the node's defaults. The
            editor's **browse…** button adds an item picked from the deployed endpoint's address space.
            **samplingInterval** (ms, -1 = the publishing interval), **queueSize** (values kept between publishes;
            1 = only the latest), **publishingInterval** (ms), **keepAliveCount** (publishing intervals without data
            before the server sends a keep-alive).
            **deadbandType**: `none`, `absolute` (a change smaller than **deadband** is not reported) or `percent`
            (of the variable's EURange; the server refuses it for variables without one, shown as an item error).

            One message per change: `msg.topic` = the node id as written in the item, `msg.payload` = value,
            `msg.statusCode`, `msg.sourceTimestamp`, `msg.serverTimestamp`, `msg.dataType`. The first message of each
            item is its current value.

            **Reliability**: Publish requests acknowledge what arrived; a gap in sequence numbers is filled with
            Republish. A missing keep-alive marks the link dead and reconnects. After a reconnect the status says what
            happened: *subscription kept* (session resumed, missed notifications republished), *transferred*, or
            *re-created* (the server restarted: current values are sent again; changes while it was down are gone).
            Notifications the server could no longer hand out are reported as `BadMessageNotAvailable`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "opcua-endpoint", Required = true, Label = "Endpoint" },
            new PropertyDeclaration("items", PropertyKind.Any) { Default = new List<object?>(), Label = "Monitored items", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerItemsHelp },
            new PropertyDeclaration("samplingInterval", PropertyKind.Number) { Default = 1000, Label = "Sampling interval (ms)" },
            new PropertyDeclaration("queueSize", PropertyKind.Number) { Default = 1, Label = "Queue size" },
            new PropertyDeclaration("publishingInterval", PropertyKind.Number) { Default = 1000, Label = "Publishing interval (ms)" },
            new PropertyDeclaration("keepAliveCount", PropertyKind.Number) { Default = 10, Label = "Keep-alive count" },
            new PropertyDeclaration("deadbandType", PropertyKind.Select) { Default = "none", Options = ["none", "absolute", "percent"], Label = "Deadband" },
            new PropertyDeclaration("deadband", PropertyKind.Number) { Default = 0, Label = "Deadband value" },
        ],
    };

    private readonly List<MonitoredItemSpec> _items = [];
    private readonly UaSubscriptionOptions _options;
    private UaSubscription? _subscription;
    private long _changes;
    private string _state = "";

    public OpcUaSubscribeNode(NodeSetup setup) : base(setup)
    {
        var sampling = Config.GetNumber("samplingInterval", 1000);
        var queue = Config.GetNumber("queueSize", 1);
        var publishing = Config.GetNumber("publishingInterval", 1000);
        var keepAlive = Config.GetNumber("keepAliveCount", 10);
        if (publishing is < 10 or > 3600000) throw Config.Invalid("publishingInterval", $"{publishing} ms is outside 10..3600000");
        if (keepAlive is < 1 or > 10000) throw Config.Invalid("keepAliveCount", $"{keepAlive} is outside 1..10000");
        _options = new UaSubscriptionOptions(publishing, (uint)keepAlive, (uint)keepAlive * 3);
        var deadbandType = Config.GetString("deadbandType", "none");
        var deadband = Config.GetNumber("deadband", 0);
        var list = Config.Get("items") switch
        {
            List<object?> l => l,
            string s when !string.IsNullOrWhiteSpace(s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList(),
            _ => [],
        };
        if (list.Count == 0) throw Config.Invalid("items", "at least one monitored item (a node id) is required");
        for (var i = 0; i < list.Count; i++)
        {
            var entry = list[i] as JsObject;
            var nodeId = list[i] as string ?? entry?.Get("nodeId") as string;
            if (string.IsNullOrWhiteSpace(nodeId)) throw Config.Invalid("items", $"item {i + 1} has no nodeId");
            nodeId = nodeId.Trim();
            if (!nodeId.StartsWith("nsu=", StringComparison.Ordinal) && !NodeId.TryParse(nodeId, out _, out var error)) throw Config.Invalid("items", $"item {i + 1}: {error}");
            var itemSampling = Number(entry, "samplingInterval", sampling);
            var itemQueue = Number(entry, "queueSize", queue);
            if (itemQueue is < 0 or > 100000) throw Config.Invalid("items", $"item {i + 1}: queue size {itemQueue} is outside 0..100000");
            var itemDeadbandType = entry?.Get("deadbandType") as string ?? deadbandType;
            var itemDeadband = Number(entry, "deadband", deadband);
            _items.Add(new MonitoredItemSpec(nodeId, itemSampling, (uint)itemQueue, Filter(itemDeadbandType, itemDeadband, i + 1)));
        }
    }

    private static double Number(JsObject? entry, string key, double fallback) => entry?.Get(key) is double d ? d : fallback;

    private DataChangeFilter? Filter(string type, double value, int item)
    {
        if (double.IsNaN(value) || value < 0) throw Config.Invalid("deadband", $"item {item}: deadband {value} must be 0 or more");
        return type switch
        {
            "none" => null,
            "absolute" => new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Absolute, value),
            "percent" when value <= 100 => new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Percent, value),
            "percent" => throw Config.Invalid("deadband", $"item {item}: a percent deadband of {value} is over 100"),
            _ => throw Config.Invalid("deadbandType", $"item {item}: \"{type}\" is not none, absolute or percent"),
        };
    }

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        await base.OnStartAsync(cancellationToken).ConfigureAwait(false);
        SetStatus(NodeStatus.Warning("connecting"));
        _subscription = Endpoint.Connection.Subscribe(_options, _items, this);
    }

    protected override void OnEndpointChanged(UaConnectionEvent change)
    {
        if (change.State is UaConnectionState.Connected) return; // the subscription reports its own state
        _state = change.Text;
        SetStatus(OpcUaEndpointNode.StatusFor(change));
    }

    public void OnDataChange(MonitoredItemSpec item, NodeId nodeId, DataValue value)
    {
        var message = new JsObject();
        Fill(message, item.NodeId, value);
        var count = Interlocked.Increment(ref _changes);
        Post(() =>
        {
            Send(message);
            // Updating the status on every change would flood the editor; once in a while is enough.
            if (count == 1 || count % 100 == 0) SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"{_state} · {count} changes")));
            return ValueTask.CompletedTask;
        });
    }

    public void OnItemError(MonitoredItemSpec item, StatusCode status, string text)
    {
        var message = new JsObject { ["topic"] = item.NodeId, ["statusCode"] = status.Name };
        Post(() =>
        {
            ReportError($"monitored item {item.NodeId}: {status.Name}{(text.Contains(status.Name, StringComparison.Ordinal) ? "" : ": " + text)}", message);
            SetStatus(NodeStatus.Error($"{item.NodeId}: {status.Name}"));
            return ValueTask.CompletedTask;
        });
    }

    public void OnStatus(string text, bool healthy, StatusCode? status)
    {
        _state = text;
        if (healthy) Log($"{Endpoint.EndpointUrl}: {text}");
        else Warn($"{Endpoint.EndpointUrl}: {text}");
        SetStatus(healthy ? NodeStatus.Ok(text) : status is { } s ? NodeStatus.Error($"{s.Name}: {text}") : NodeStatus.Warning(text));
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await base.OnCloseAsync(removed, cancellationToken).ConfigureAwait(false);
        if (_subscription is { } subscription) await subscription.DisposeAsync().ConfigureAwait(false);
    }
}
