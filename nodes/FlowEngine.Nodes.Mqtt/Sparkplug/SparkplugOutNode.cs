using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>
/// sparkplug out: publishes a device's (or the edge node's own) metrics through a sparkplug-edge node: DBIRTH the first
/// time and whenever a new metric appears, DDATA after that, DDEATH on request. Sends the NCMD/DCMD writes the edge node
/// receives for its device.
/// </summary>
internal sealed class SparkplugOutNode : FlowNode, ISparkplugEdgeUser
{
    public static readonly NodeDeclaration Declaration = new("sparkplug out")
    {
        Category = "network",
        Color = "#d8bfd8",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/sparkplug",
        PaletteLabel = "sparkplug out",
        DefaultLabel = "sparkplug out",
        Help = """
            Publishes Sparkplug B device births and data (DBIRTH, DDATA, DDEATH) through a sparkplug-edge node, or the edge node's own metrics (NDATA) when no device is given.

            **Properties**
            - **edge**: the sparkplug-edge config node.
            - **deviceId**: the device; `msg.device` overrides it. Blank (and no `msg.device`): the edge node's own metrics.

            **Input**
            - `msg.payload` = `{"metrics": [{"name", "value", "type", "timestamp", "properties"}]}`, a list of such metrics, or a plain object `{"temperature": 21.5, "running": true}`.
              - A metric is named by **name** or by **alias** (the alias the birth gave it; see the edge node's births).
              - **type**: any Sparkplug data type (Int8, Int16, Int32, Int64, UInt8…UInt64, Float, Double, Boolean, String, DateTime, Text, UUID, DataSet, Bytes, File, Template, Int8Array…DateTimeArray). Without it a new metric gets Boolean, String, Int64 (whole numbers), Double, DateTime (a Date) or Bytes (a Buffer); a known metric keeps the type of its birth, and a different type is an error.
              - DataSet value: `{"columns": [...], "types": [...], "rows": [[...]]}`. Template value: `{"templateRef", "version", "isDefinition", "metrics": [...], "parameters": [{"name", "type", "value"}]}`.
              - **timestamp**: ms since 1970 or a Date (default now). **properties**: `{"engUnit": "°C", "Quality": {"type": "Int32", "value": 192}}`.
            - `msg.action` = `"death"`: DDEATH for the device. `"rebirth"`: the edge node publishes all births again.

            The first message for a device, and any message with a metric the device's birth did not have, publishes a DBIRTH with every metric of the device and its latest value; a new node-level metric republishes the NBIRTH (a birth must list every metric). Otherwise DDATA/NDATA carries the metrics of the message. For report-by-exception put a deadband (or rbe) node in front.

            A message with a bad metric (unknown type, a value that does not fit, an unknown alias) is rejected whole with an error for catch nodes; nothing of it is published. Without a session (or while the primary host is offline) the values are kept and go out with the next birth; the status says *held*.

            **Output**: writes the edge node receives for this device (DCMD) or, with no device, for the node (NCMD, except Node Control/Rebirth, which the edge node answers itself): `msg.topic` = metric name, `msg.payload` = value, `msg.datatype`, `msg.metric` (name, alias, value, datatype, timestamp), `msg.sparkplug` = `{group, edge, device, type}`.
            """,
        OutputLabels = ["commands"],
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("edge", PropertyKind.ConfigReference) { Required = true, ConfigType = "sparkplug-edge", Label = "Edge node" },
            new PropertyDeclaration("deviceId", PropertyKind.String) { Default = "", Label = "Device id", Validate = v => v is string { Length: > 0 } s ? SparkplugTopic.InvalidId(s) : null },
        ],
    };

    private readonly SparkplugEdgeNode _edge;
    private readonly string? _deviceId;

    public SparkplugOutNode(NodeSetup setup) : base(setup)
    {
        _edge = setup.ConfigNode<SparkplugEdgeNode>("edge") ?? throw Config.Invalid("edge", "missing sparkplug-edge configuration");
        var device = Config.GetString("deviceId").Trim();
        if (device.Length > 0 && SparkplugTopic.InvalidId(device) is { } bad) throw Config.Invalid("deviceId", "device id " + bad);
        _deviceId = device.Length > 0 ? device : null;
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _edge.Register(this);
        return ValueTask.CompletedTask;
    }

    public void OnEdgeStatus(NodeStatus status) => Post(() =>
    {
        if (status != Status) SetStatus(status);
        return ValueTask.CompletedTask;
    });

    public void OnCommand(SparkplugCommand command)
    {
        if (command.DeviceId != _deviceId) return;
        var client = _edge.Client;
        foreach (var metric in command.Metrics)
        {
            Send(new JsObject
            {
                ["topic"] = metric.Name ?? (metric.Alias is { } alias ? "alias " + alias : ""),
                ["payload"] = metric.IsNull ? null : SparkplugMessages.ToJs(metric.Value),
                ["datatype"] = metric.DataType.ToString(),
                ["metric"] = SparkplugMessages.Metric(metric, null),
                ["sparkplug"] = new JsObject
                {
                    ["group"] = client.Options.GroupId,
                    ["edge"] = client.Options.EdgeNodeId,
                    ["device"] = command.DeviceId,
                    ["type"] = command.DeviceId is null ? "NCMD" : "DCMD",
                },
            });
        }
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var device = msg.Get("device") switch
        {
            string { Length: > 0 } d => d,
            null or "" => _deviceId,
            var other => throw new InvalidOperationException($"msg.device must be a string, got {JsJson.Serialize(other)}"),
        };
        if (device is not null && SparkplugTopic.InvalidId(device) is { } bad) throw new InvalidOperationException("msg.device: device id " + bad);
        var client = _edge.Client;
        SparkplugPublishOutcome outcome;
        try
        {
            switch (msg.Get("action") as string)
            {
                case "death":
                    if (device is null) throw new InvalidOperationException("action \"death\" needs a device (deviceId or msg.device); the edge node's own death is its NDEATH");
                    outcome = await client.DeviceDeathAsync(device).ConfigureAwait(false);
                    break;
                case "rebirth":
                    await client.RebirthAsync().ConfigureAwait(false);
                    outcome = client.State == SparkplugEdgeState.Online ? SparkplugPublishOutcome.Published : SparkplugPublishOutcome.Held;
                    break;
                case null or "" or "data":
                    var updates = SparkplugMessages.Updates(msg.Get("payload"));
                    outcome = device is null
                        ? await client.UpdateNodeAsync(updates).ConfigureAwait(false)
                        : await client.UpdateDeviceAsync(device, updates).ConfigureAwait(false);
                    break;
                case var other:
                    throw new InvalidOperationException($"msg.action \"{other}\" is not one of data, death, rebirth");
            }
        }
        catch (SparkplugFormatException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        if (outcome == SparkplugPublishOutcome.Held) SetStatus(NodeStatus.Warning("held: " + (client.State == SparkplugEdgeState.WaitingForHost ? "primary host offline" : "not connected")));
        else if (Status.Fill != "green") SetStatus(NodeStatus.Ok($"online (bdSeq {client.BdSeq})"));
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _edge.Deregister(this);
        return ValueTask.CompletedTask;
    }
}
