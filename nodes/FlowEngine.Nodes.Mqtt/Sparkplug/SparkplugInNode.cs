using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;
using MQTTnet;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>
/// sparkplug in: a Sparkplug B host-side subscriber on the shared mqtt-broker connection. Decodes every message type
/// into plain messages, resolves aliases from births, detects seq gaps (and asks for a rebirth), marks metrics stale on
/// NDEATH/DDEATH.
/// </summary>
internal sealed class SparkplugInNode : FlowNode, IMqttBrokerUser
{
    public static readonly NodeDeclaration Declaration = new("sparkplug in")
    {
        Category = "network",
        Color = "#d8bfd8",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/sparkplug",
        PaletteLabel = "sparkplug in",
        DefaultLabel = "sparkplug in",
        Help = """
            Subscribes to Sparkplug B messages (Eclipse Sparkplug 3.0) of a group, an edge node or a device and sends them as plain messages.

            **Properties**
            - **broker**: the mqtt-broker config node (shared connection).
            - **groupId**: the group, or `+` for every group. **edgeNodeId**: an edge node, or blank/`+` for all. **deviceId**: only this device's messages (and the deaths that make its metrics stale); blank for the node and all devices.
            - **output**: `metric` (default): one message per metric; `message`: one message per Sparkplug message with all its metrics.
            - **rebirth** (true): on a seq gap, data for an alias or device that no birth announced, or data before any NBIRTH, publish an NCMD `Node Control/Rebirth` = true to the edge node (at most once every 5 s per edge node).

            Message types: NBIRTH, DBIRTH, NDATA, DDATA, NCMD, DCMD are decoded; metric names come from the births when the data uses aliases, and so do datatypes. NDEATH (only when its `bdSeq` matches the NBIRTH's; an older session's death is ignored) and DDEATH send every metric of the node (and its devices) or the device again with quality `STALE`.

            **Output, per metric**: `msg.topic` = `group/edge[/device]/metric name`, `msg.payload` = the value (numbers, strings, booleans, Date for DateTime, Buffer for Bytes and File, arrays, `{columns, types, rows}` for DataSet, `{templateRef, metrics, parameters}` for Template), `msg.datatype` (e.g. `Int32`), `msg.timestamp` (ms), `msg.quality` (`GOOD`, `BAD` from a `Quality` property other than 192, or `STALE`), `msg.metric` (name, alias, value, datatype, timestamp, quality, properties, isHistorical), `msg.sparkplug` = `{group, edge, device, type, seq, bdSeq, timestamp}`.

            **Output, per message**: `msg.topic` = the MQTT topic, `msg.payload` = `{timestamp, seq, metrics: [...]}`, `msg.sparkplug` as above.

            A seq gap also sends a warning to the log and shows in the status. A payload that is not Sparkplug B protobuf goes to catch nodes with `msg.topic` and the raw `msg.payload` (Buffer); the stream continues.
            """,
        OutputLabels = ["metrics"],
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { Required = true, ConfigType = "mqtt-broker", Label = "Broker" },
            new PropertyDeclaration("groupId", PropertyKind.String) { Default = "+", Label = "Group id" },
            new PropertyDeclaration("edgeNodeId", PropertyKind.String) { Default = "", Label = "Edge node id" },
            new PropertyDeclaration("deviceId", PropertyKind.String) { Default = "", Label = "Device id" },
            new PropertyDeclaration("output", PropertyKind.Select) { Default = "metric", Options = ["metric", "message"], Label = "Output" },
            new PropertyDeclaration("rebirth", PropertyKind.Bool) { Default = true, Label = "Request rebirth on gaps" },
        ],
    };

    private static readonly TimeSpan RebirthInterval = TimeSpan.FromSeconds(5);

    private readonly MqttBrokerNode _broker;
    private readonly string _filter;
    private readonly string? _deviceId;
    private readonly bool _perMetric;
    private readonly bool _requestRebirth;
    private readonly SparkplugReceiver _receiver = new();
    private readonly Dictionary<(string, string), DateTimeOffset> _lastRebirthRequest = [];

    public SparkplugInNode(NodeSetup setup) : base(setup)
    {
        _broker = setup.ConfigNode<MqttBrokerNode>("broker") ?? throw Config.Invalid("broker", "missing mqtt-broker configuration");
        var group = Level("groupId", Config.GetString("groupId", "+").Trim(), wildcard: true);
        var edge = Level("edgeNodeId", Config.GetString("edgeNodeId").Trim(), wildcard: true);
        var device = Config.GetString("deviceId").Trim();
        if (device.Length > 0 && SparkplugTopic.InvalidId(device) is { } bad) throw Config.Invalid("deviceId", "device id " + bad);
        _deviceId = device.Length > 0 ? device : null;
        _filter = $"{SparkplugTopic.Namespace}/{group}/+/{edge}/#";
        var output = Config.GetString("output", "metric");
        if (output is not ("metric" or "message")) throw Config.Invalid("output", $"expected metric or message, got \"{output}\"");
        _perMetric = output == "metric";
        _requestRebirth = Config.GetBool("rebirth", true);
    }

    private string Level(string property, string value, bool wildcard)
    {
        if (value.Length == 0 || (wildcard && value == "+")) return "+";
        if (SparkplugTopic.InvalidId(value) is { } bad) throw Config.Invalid(property, bad + " (use + for all)");
        return value;
    }

    public bool ShowsBuffer => false;

    public void OnBrokerStatus(NodeStatus status) => Post(() =>
    {
        if (status != Status) SetStatus(status);
        return ValueTask.CompletedTask;
    });

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _broker.Register(this);
        var refused = await _broker.Connection.SubscribeAsync(_filter, new SubscriptionOptions(1), Id, Receive, cancellationToken).ConfigureAwait(false);
        if (refused is not null) ReportError(refused);
    }

    /// <summary>Runs on the connection's receive loop, so messages are interpreted in the order they arrived.</summary>
    private void Receive(MqttApplicationMessage packet)
    {
        var topic = SparkplugTopic.Parse(packet.Topic);
        if (topic is null) return;
        SparkplugReceived received;
        try
        {
            received = _receiver.Receive(topic, packet.Payload);
        }
        catch (SparkplugFormatException ex)
        {
            ReportError($"{packet.Topic}: {ex.Message}", new JsObject { ["topic"] = packet.Topic, ["payload"] = System.Buffers.BuffersExtensions.ToArray(packet.Payload) });
            return;
        }
        if (received.SeqGap is { } gap)
        {
            var text = $"seq gap from {topic.GroupId}/{topic.EdgeNodeId}: expected {gap.Expected}, got {gap.Actual}";
            Warn(text);
            Post(() =>
            {
                SetStatus(NodeStatus.Warning(text));
                return ValueTask.CompletedTask;
            });
        }
        if (received.RebirthReason is { } reason && _requestRebirth) RequestRebirth(topic, reason);
        if (received.StaleDeath) return;
        Emit(received);
    }

    private void Emit(SparkplugReceived received)
    {
        var topic = received.Topic;
        var readings = _deviceId is null ? received.Readings : received.Readings.Where(r => r.DeviceId == _deviceId).ToList();
        if (_deviceId is not null && topic.DeviceId != _deviceId && readings.Count == 0) return;
        var payload = received.Payload;
        if (_perMetric)
        {
            foreach (var reading in readings)
            {
                var metric = reading.Metric;
                var msg = new JsObject
                {
                    ["topic"] = $"{topic.GroupId}/{topic.EdgeNodeId}/{(reading.DeviceId is { } d ? d + "/" : "")}{metric.Name ?? "alias " + metric.Alias}",
                    ["payload"] = metric.IsNull ? null : SparkplugMessages.ToJs(metric.Value),
                    ["datatype"] = metric.DataType.ToString(),
                    ["timestamp"] = (metric.Timestamp ?? payload?.Timestamp) is { } ts ? (double)ts : null,
                    ["quality"] = SparkplugMessages.QualityName(reading.Quality),
                    ["metric"] = SparkplugMessages.Metric(metric, reading.Quality),
                    ["sparkplug"] = Envelope(received, reading.DeviceId),
                };
                Send(msg);
            }
            return;
        }
        var body = new JsObject();
        if (payload?.Timestamp is { } timestamp) body["timestamp"] = (double)timestamp;
        if (payload?.Seq is { } seq) body["seq"] = (double)seq;
        body["metrics"] = readings.Select(r => (object?)SparkplugMessages.Metric(r.Metric, r.Quality)).ToList();
        Send(new JsObject { ["topic"] = topic.ToString(), ["payload"] = body, ["sparkplug"] = Envelope(received, topic.DeviceId) });
    }

    private static JsObject Envelope(SparkplugReceived received, string? deviceId)
    {
        var o = new JsObject
        {
            ["group"] = received.Topic.GroupId,
            ["edge"] = received.Topic.EdgeNodeId,
            ["device"] = deviceId,
            ["type"] = received.Topic.Type.ToString(),
        };
        if (received.Payload?.Seq is { } seq) o["seq"] = (double)seq;
        if (received.BdSeq is { } bdSeq) o["bdSeq"] = (double)bdSeq;
        if (received.Payload?.Timestamp is { } ts) o["timestamp"] = (double)ts;
        return o;
    }

    private void RequestRebirth(SparkplugTopic topic, string reason)
    {
        var key = (topic.GroupId, topic.EdgeNodeId);
        var now = Clock.GetUtcNow();
        if (_lastRebirthRequest.TryGetValue(key, out var last) && now - last < RebirthInterval) return;
        _lastRebirthRequest[key] = now;
        Warn($"asking {topic.GroupId}/{topic.EdgeNodeId} for a rebirth: {reason}");
        // Sparkplug 3.0 §5.5 and §9.2: NCMD with "Node Control/Rebirth" = true, QoS 0, not retained.
        var request = new SparkplugPayload
        {
            Timestamp = (ulong)now.ToUnixTimeMilliseconds(),
            Metrics = [new SparkplugMetric { Name = SparkplugEdgeClient.RebirthMetric, DataType = SparkplugDataType.Boolean, Value = true }],
        };
        _broker.Connection.Publish(new OutgoingMessage
        {
            Topic = SparkplugTopic.Format(topic.GroupId, SparkplugMessageType.NCMD, topic.EdgeNodeId),
            Payload = SparkplugCodec.Encode(request),
            Qos = 0,
        });
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _broker.Connection.UnsubscribeAsync(_filter, Id, removed, cancellationToken).ConfigureAwait(false);
        await _broker.DeregisterAsync(this, removed).ConfigureAwait(false);
    }
}
