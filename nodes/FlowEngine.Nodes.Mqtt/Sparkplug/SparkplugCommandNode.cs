using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>sparkplug command: writes to an edge node (NCMD) or a device (DCMD), each one recorded in the audit log.</summary>
internal sealed class SparkplugCommandNode : FlowNode, IMqttBrokerUser
{
    public static readonly NodeDeclaration Declaration = new("sparkplug command")
    {
        Category = "network",
        Color = "#d8bfd8",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/sparkplug",
        PaletteLabel = "sparkplug command",
        DefaultLabel = "sparkplug command",
        Help = """
            Sends a Sparkplug B command: NCMD to an edge node, or DCMD to one of its devices. Every command is recorded in the audit log (action `sparkplug.command`, the user from `msg._client.user`, the topic and the metrics).

            **Properties**
            - **broker**: the mqtt-broker config node (shared connection).
            - **groupId**, **edgeNodeId**, **deviceId** (blank: NCMD to the node). `msg.group`, `msg.edge`, `msg.device` override them.

            **Input**: `msg.payload` = `{"metrics": [{"name", "value", "type"}]}`, a list of such metrics, or `{"setpoint": 42.5}`. Without **type**, whole numbers are Int64, others Double; strings String; booleans Boolean. `{"Node Control/Rebirth": true}` asks the edge node for a rebirth.

            Commands are not buffered: when the broker is not connected the message fails (catch nodes get it) instead of writing a stale value later. QoS 0, not retained, as Sparkplug 3.0 requires.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { Required = true, ConfigType = "mqtt-broker", Label = "Broker" },
            new PropertyDeclaration("groupId", PropertyKind.String) { Default = "", Label = "Group id" },
            new PropertyDeclaration("edgeNodeId", PropertyKind.String) { Default = "", Label = "Edge node id" },
            new PropertyDeclaration("deviceId", PropertyKind.String) { Default = "", Label = "Device id" },
        ],
    };

    private readonly MqttBrokerNode _broker;
    private readonly string _groupId;
    private readonly string _edgeNodeId;
    private readonly string _deviceId;

    public SparkplugCommandNode(NodeSetup setup) : base(setup)
    {
        _broker = setup.ConfigNode<MqttBrokerNode>("broker") ?? throw Config.Invalid("broker", "missing mqtt-broker configuration");
        _groupId = Config.GetString("groupId").Trim();
        _edgeNodeId = Config.GetString("edgeNodeId").Trim();
        _deviceId = Config.GetString("deviceId").Trim();
        foreach (var (property, value) in new[] { ("groupId", _groupId), ("edgeNodeId", _edgeNodeId), ("deviceId", _deviceId) })
        {
            if (value.Length > 0 && SparkplugTopic.InvalidId(value) is { } bad) throw Config.Invalid(property, bad);
        }
    }

    public bool ShowsBuffer => false;

    public void OnBrokerStatus(NodeStatus status) => Post(() =>
    {
        if (status != Status) SetStatus(status);
        return ValueTask.CompletedTask;
    });

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _broker.Register(this);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var group = TargetId("group", _groupId, msg, required: true)!;
        var edge = TargetId("edge", _edgeNodeId, msg, required: true)!;
        var device = TargetId("device", _deviceId, msg, required: false);
        SparkplugPayload payload;
        byte[] bytes;
        try
        {
            var updates = SparkplugMessages.Updates(msg.Get("payload"));
            var metrics = updates.Select(u =>
            {
                if (u.Name is null) throw new SparkplugFormatException("commands name their metrics (aliases are the edge node's, not ours)");
                var type = u.DataType ?? SparkplugValues.Infer(u.Value);
                if (type == SparkplugDataType.Unknown) throw new SparkplugFormatException($"metric \"{u.Name}\": give a type");
                return new SparkplugMetric { Name = u.Name, DataType = type, Value = u.Value, IsNull = u.Value is null, Timestamp = u.Timestamp, Properties = u.Properties };
            }).ToList();
            var now = (ulong)Clock.GetUtcNow().ToUnixTimeMilliseconds();
            payload = new SparkplugPayload { Timestamp = now, Metrics = metrics.Select(m => m.Timestamp is null ? m with { Timestamp = now } : m).ToList() };
            bytes = SparkplugCodec.Encode(payload);
        }
        catch (SparkplugFormatException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        var topic = SparkplugTopic.Format(group, device is null ? SparkplugMessageType.NCMD : SparkplugMessageType.DCMD, edge, device);
        if (!_broker.Connection.IsConnected) throw new InvalidOperationException($"not connected to the broker: command to {topic} not sent");

        Services.AuditLog()?.Record("sparkplug.command", AuditLogExtensions.ClientUser(msg), new JsObject
        {
            ["node"] = Id,
            ["topic"] = topic,
            ["metrics"] = payload.Metrics.Select(m => (object?)new JsObject { ["name"] = m.Name, ["datatype"] = m.DataType.ToString(), ["value"] = SparkplugMessages.ToJs(m.Value) }).ToList(),
        });

        var completion = input.Defer();
        var message = new OutgoingMessage { Topic = topic, Payload = bytes, Qos = 0 };
        message.Completed = error =>
        {
            if (error is null) completion.Done();
            else completion.Fail(error);
        };
        _broker.Connection.Publish(message);
        return ValueTask.CompletedTask;
    }

    private static string? TargetId(string key, string configured, JsObject msg, bool required)
    {
        var value = msg.Get(key) switch
        {
            string { Length: > 0 } s => s,
            null or "" => configured.Length > 0 ? configured : null,
            var other => throw new InvalidOperationException($"msg.{key} must be a string, got {JsJson.Serialize(other)}"),
        };
        if (value is null)
        {
            if (required) throw new InvalidOperationException($"no {key} id: set it on the node or in msg.{key}");
            return null;
        }
        if (SparkplugTopic.InvalidId(value) is { } bad) throw new InvalidOperationException($"{key} id {bad}");
        return value;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken) =>
        await _broker.DeregisterAsync(this, removed).ConfigureAwait(false);
}
