using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet.Formatter;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>
/// Node-RED's mqtt out: publishes msg.payload to a topic. Topic, QoS and retain set on the node win over the
/// message's; MQTT 5 properties likewise. While the broker is unreachable messages wait in the connection's offline
/// buffer and are published, in order, on reconnect; the message is done when the broker has it (or, for QoS 1/2
/// during an outage, once it is safe on disk).
/// </summary>
internal sealed class MqttOutNode : FlowNode, IMqttBrokerUser
{
    public static readonly NodeDeclaration Declaration = new("mqtt out")
    {
        Category = "network",
        Color = "#d8bfd8",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/mqtt",
        DefaultLabel = "mqtt",
        Help = """
            Publishes `msg.payload` to an MQTT broker.

            **Properties** (leave topic, qos or retain blank to take them from the message)
            - **broker**: the mqtt-broker config node (shared connection).
            - **topic**: topic to publish to; else `msg.topic`. No wildcards.
            - **qos**: 0, 1 or 2; else `msg.qos` (default 0).
            - **retain**: `true`/`false`; else `msg.retain` (default false).
            - MQTT 5: **respTopic** (response topic), **correl** (correlation data), **contentType**, **userProps** (JSON object of string values), **expiry** (message expiry, seconds). Else `msg.responseTopic`, `msg.correlationData`, `msg.contentType`, `msg.userProperties`, `msg.messageExpiryInterval`; `msg.payloadFormatIndicator` true marks a UTF-8 payload.

            **Payload**: a Buffer is sent as is, an object or array as JSON, null or missing as an empty payload, anything else as its text. A message without `payload` is not published.

            **Actions**: `msg.action = "connect"` (optionally with `msg.broker` settings) or `"disconnect"` controls the shared connection.

            While disconnected, messages are buffered (see the mqtt-broker node) and the status shows how many.
            """,
        InputLabels = ["message"],
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "", Validate = v => v is string { Length: > 0 } s && !MqttTopic.IsValidPublishTopic(s) ? "Invalid topic specified" : null },
            new PropertyDeclaration("qos", PropertyKind.Select) { Default = "", Options = ["", "0", "1", "2"], Label = "QoS" },
            new PropertyDeclaration("retain", PropertyKind.Select) { Default = "", Options = ["", "true", "false"], Label = "Retain" },
            new PropertyDeclaration("respTopic", PropertyKind.String) { Default = "", Label = "Response topic" },
            new PropertyDeclaration("contentType", PropertyKind.String) { Default = "", Label = "Content Type" },
            new PropertyDeclaration("userProps", PropertyKind.String) { Default = "", Label = "User Properties" },
            new PropertyDeclaration("correl", PropertyKind.String) { Default = "", Label = "Correlation Data" },
            new PropertyDeclaration("expiry", PropertyKind.String) { Default = "", Label = "Expiry (secs)" },
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { Required = true, ConfigType = "mqtt-broker", Label = "Server" },
        ],
    };

    private readonly MqttBrokerNode _broker;
    private readonly string _topic;
    private readonly string _qos;
    private readonly object? _retain;
    private readonly string _responseTopic;
    private readonly string _contentType;
    private readonly string _correlationData;
    private readonly string _expiry;
    private readonly List<KeyValuePair<string, string>>? _userProperties;
    private bool _v5;

    public MqttOutNode(NodeSetup setup) : base(setup)
    {
        _broker = setup.ConfigNode<MqttBrokerNode>("broker") ?? throw Config.Invalid("broker", "missing broker configuration");
        _topic = Config.GetString("topic");
        _qos = Config.GetString("qos");
        _retain = Config.Get("retain") is string { Length: 0 } ? null : Config.Get("retain");
        _responseTopic = Config.GetString("respTopic");
        _contentType = Config.GetString("contentType");
        _correlationData = Config.GetString("correl");
        _expiry = Config.GetString("expiry");
        _userProperties = MqttMessages.UserProperties(Config.GetString("userProps"));
    }

    public bool ShowsBuffer => true;

    public void OnBrokerStatus(NodeStatus status) => Post(() =>
    {
        // The same status again (a buffer notification with nothing new) is not worth an event.
        if (status != Status) SetStatus(status);
        return ValueTask.CompletedTask;
    });

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _v5 = _broker.IsV5;
        _broker.Register(this);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.Get("action") is { } actionValue)
        {
            switch (actionValue as string)
            {
                case "connect":
                    await MqttActions.ConnectAsync(_broker, msg).ConfigureAwait(false);
                    return;
                case "disconnect":
                    await _broker.Connection.DisconnectAsync().ConfigureAwait(false);
                    return;
                default:
                    throw new InvalidOperationException("Invalid action specified");
            }
        }

        // Node-RED: node values win; msg.qos is used only when it is 0, 1 or 2; retain is true only for true or "true".
        if (_topic.Length > 0) msg["topic"] = _topic;
        var msgQos = MqttMessages.Integer(msg.Get("qos"), 0, 2);
        var qos = _qos.Length > 0 ? (int)(MqttMessages.Integer(_qos, 0, 2) ?? 0) : (int)(msgQos ?? 0);
        msg["qos"] = (double)qos;
        var retainValue = _retain is not null && !(_retain is false) ? _retain : msg.Get("retain") ?? _retain;
        var retain = retainValue is true or "true";
        msg["retain"] = retain;
        if (!msg.ContainsKey("payload")) return;

        string? responseTopic = null;
        byte[]? correlation = null;
        string? contentType = null;
        uint? expiry = null;
        List<KeyValuePair<string, string>>? userProperties = null;
        var utf8 = false;
        if (_v5)
        {
            responseTopic = _responseTopic.Length > 0 ? _responseTopic : msg.Get("responseTopic") as string is { Length: > 0 } rt ? rt : null;
            correlation = _correlationData.Length > 0 ? MqttMessages.Bytes(_correlationData) : MqttMessages.Bytes(msg.Get("correlationData"));
            contentType = _contentType.Length > 0 ? _contentType : msg.Get("contentType") as string is { Length: > 0 } ct ? ct : null;
            var expiryValue = MqttMessages.Integer(_expiry.Length > 0 ? _expiry : msg.Get("messageExpiryInterval"), 0, uint.MaxValue);
            expiry = expiryValue is { } e ? (uint)e : null;
            userProperties = _userProperties ?? MqttMessages.UserProperties(msg.Get("userProperties"));
            utf8 = msg.Get("payloadFormatIndicator") is true or "true";
        }

        var topic = msg.Get("topic") as string;
        if (string.IsNullOrEmpty(topic) && responseTopic is not null)
        {
            // MQTT 5 request/response: with no topic, answer on the response topic (Node-RED does the same).
            topic = responseTopic;
            responseTopic = null;
        }
        if (!MqttTopic.IsValidPublishTopic(topic))
        {
            Warn("Invalid topic specified");
            return;
        }

        var message = new OutgoingMessage
        {
            Topic = topic!,
            Payload = MqttMessages.ToPayload(msg.Get("payload")),
            Qos = qos,
            Retain = retain,
            ResponseTopic = responseTopic,
            CorrelationData = correlation,
            ContentType = contentType,
            MessageExpiryInterval = expiry,
            UserProperties = userProperties,
            PayloadIsUtf8 = utf8,
        };
        var completion = input.Defer();
        message.Completed = error =>
        {
            if (error is null) completion.Done();
            else completion.Fail(error);
        };
        _broker.Connection.Publish(message);
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken) =>
        await _broker.DeregisterAsync(this, removed).ConfigureAwait(false);
}

/// <summary>The "connect" action shared by mqtt in and mqtt out (Node-RED's handleConnectAction).</summary>
internal static class MqttActions
{
    public static async Task ConnectAsync(MqttBrokerNode broker, JsObject msg)
    {
        var overrides = msg.Get("broker") as JsObject;
        var connection = broker.Connection;
        if (!connection.CanConnect)
        {
            if (overrides is null) return;
            if (overrides.Get("force") is not (true or "true")) throw new InvalidOperationException("Disconnect from broker before connecting");
            await connection.DisconnectAsync().ConfigureAwait(false);
        }
        broker.Connect(overrides is null ? null : Apply(connection.Settings, overrides));
    }

    /// <summary>Connection settings changed by msg.broker (broker, port, clientid, username, password, keepalive, cleansession, protocolVersion).</summary>
    private static MqttConnectionSettings Apply(MqttConnectionSettings s, JsObject o)
    {
        if (o.Get("broker") is string { Length: > 0 } host)
        {
            if (host.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(host, UriKind.Absolute, out var uri))
            {
                s = s with { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? s.Port : uri.Port };
            }
            else
            {
                s = s with { Host = host };
            }
        }
        if (MqttMessages.Integer(o.Get("port"), 1, 65535) is { } port) s = s with { Port = (int)port };
        if (o.Get("clientid") is string { Length: > 0 } clientId) s = s with { ClientId = clientId };
        if (o.ContainsKey("username")) s = s with { Username = o.Get("username") as string };
        if (o.ContainsKey("password")) s = s with { Password = o.Get("password") as string };
        if (MqttMessages.Integer(o.Get("keepalive"), 0, 65535) is { } keepAlive) s = s with { KeepAliveSeconds = (int)keepAlive };
        if (o.Get("cleansession") is bool clean) s = s with { CleanSession = clean };
        if (MqttMessages.Integer(o.Get("protocolVersion"), 3, 5) is { } version)
        {
            s = s with { ProtocolVersion = version switch { 3 => MqttProtocolVersion.V310, 5 => MqttProtocolVersion.V500, _ => MqttProtocolVersion.V311 } };
        }
        return s;
    }
}
