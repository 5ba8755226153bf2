using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>
/// Node-RED's mqtt in: subscribes to a topic filter (wildcards and $share/group/ shared subscriptions allowed) and
/// sends each received message, its payload converted as <c>datatype</c> says. With one input ("Dynamic subscription")
/// it subscribes, unsubscribes, connects and disconnects on command.
/// </summary>
internal sealed class MqttInNode : FlowNode, IMqttBrokerUser
{
    public static readonly NodeDeclaration Declaration = new("mqtt in")
    {
        Category = "network",
        Color = "#d8bfd8",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/mqtt",
        DefaultLabel = "mqtt",
        Help = """
            Subscribes to an MQTT topic and sends each message received.

            **Properties**
            - **broker**: the mqtt-broker config node (shared connection).
            - **topic**: topic filter; `+` matches one level, `#` the rest; `$share/group/filter` is an MQTT 5 shared subscription (one member of the group gets each message).
            - **qos**: 0, 1 or 2 (default 2).
            - **datatype** (output): `auto-detect` (parsed JSON if it is JSON, else a string if it is UTF-8, else a Buffer), `auto` (string or Buffer), `utf8` (string), `buffer`, `json` (parsed JSON; anything else is an error to catch nodes with the raw payload, and the stream continues) or `base64` (string).
            - MQTT 5: **nl** (do not receive own messages), **rap** (keep the retain flag as published), **rh** (retained messages: 0 send, 1 only for new subscriptions, 2 do not send).
            - **inputs**: 0 for a fixed topic; 1 for dynamic subscriptions, driven by messages:
              - `msg.action = "subscribe"`, `msg.topic` = a topic, an array of topics, or objects `{topic, qos, datatype, nl, rap, rh}`;
              - `"unsubscribe"`, `msg.topic` = topic(s), or `true` for all;
              - `"connect"` (optionally `msg.broker` with new connection settings, `force: true` to reconnect), `"disconnect"`;
              - `"getSubscriptions"`: sends `msg.payload` = the list of dynamic subscriptions, `msg.topic = "subscriptions"`.

            **Output**: `msg.topic`, `msg.payload`, `msg.qos`, `msg.retain`; with MQTT 5 also `msg.responseTopic`, `msg.correlationData` (Buffer), `msg.contentType`, `msg.messageExpiryInterval`, `msg.payloadFormatIndicator`, `msg.userProperties` when the message has them.
            """,
        OutputLabels = ["message"],
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "", Label = "Topic" },
            new PropertyDeclaration("qos", PropertyKind.Select) { Default = "2", Options = ["0", "1", "2"], Label = "QoS" },
            new PropertyDeclaration("datatype", PropertyKind.Select) { Default = "auto-detect", Options = ["auto-detect", "auto", "buffer", "utf8", "json", "base64"], Label = "Output" },
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { Required = true, ConfigType = "mqtt-broker", Label = "Server" },
            new PropertyDeclaration("nl", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("rap", PropertyKind.Bool) { Default = true },
            new PropertyDeclaration("rh", PropertyKind.Number) { Default = 0.0 },
            new PropertyDeclaration("inputs", PropertyKind.Number) { Default = 0.0 },
        ],
    };

    private readonly MqttBrokerNode _broker;
    private readonly bool _dynamic;
    private readonly string _topic;
    private readonly int _qos;
    private readonly string _datatype;
    private readonly bool? _noLocal;
    private readonly bool? _retainAsPublished;
    private readonly int _retainHandling;
    private readonly JsObject _dynamicSubscriptions = new();
    private bool _v5;
    private bool _local;

    public MqttInNode(NodeSetup setup) : base(setup)
    {
        _broker = setup.ConfigNode<MqttBrokerNode>("broker") ?? throw Config.Invalid("broker", "missing broker configuration");
        _dynamic = Config.GetNumber("inputs", 0) == 1;
        _topic = Config.GetString("topic");
        _qos = (int)(MqttMessages.Integer(Config.Get("qos"), 0, 2) ?? 2);
        _datatype = Config.GetString("datatype");
        if (_datatype.Length == 0) _datatype = "utf8";
        if (_datatype is not ("auto-detect" or "auto" or "buffer" or "utf8" or "json" or "base64"))
        {
            throw Config.Invalid("datatype", $"expected auto-detect, auto, buffer, utf8, json or base64, got \"{_datatype}\"");
        }
        if (!_dynamic)
        {
            if (_topic.Length == 0) throw Config.Invalid("topic", "topic not defined");
            if (!MqttTopic.IsValidFilter(_topic)) throw Config.Invalid("topic", "Invalid topic specified");
        }
        _noLocal = Flag(Config.Get("nl"));
        _retainAsPublished = Flag(Config.Get("rap"));
        _retainHandling = (int)(MqttMessages.Integer(Config.Get("rh"), 0, 2) ?? 0);
    }

    private static bool? Flag(object? value) => value switch
    {
        true or "true" => true,
        false or "false" => false,
        _ => null,
    };

    public bool ShowsBuffer => false;

    public void OnBrokerStatus(NodeStatus status) => Post(() =>
    {
        // The same status again (a buffer notification with nothing new) is not worth an event.
        if (status != Status) SetStatus(status);
        return ValueTask.CompletedTask;
    });

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _v5 = _broker.IsV5;
        _local = _broker.IsLocalBroker;
        _broker.Register(this);
        if (!_dynamic)
        {
            var options = _v5 ? new SubscriptionOptions(_qos, _noLocal, _retainAsPublished, _retainHandling) : new SubscriptionOptions(_qos);
            var datatype = _datatype;
            var refused = await _broker.Connection.SubscribeAsync(_topic, options, Id, m => Deliver(m, datatype), cancellationToken).ConfigureAwait(false);
            if (refused is not null) ReportError(refused);
        }
    }

    /// <summary>Runs on the connection's receive loop: converts and sends, so messages keep the order they arrived in.</summary>
    private void Deliver(MqttApplicationMessage packet, string datatype)
    {
        JsObject msg;
        try
        {
            msg = MqttMessages.ToFlowMessage(packet, datatype, _v5, _local);
        }
        catch (MqttPayloadException ex)
        {
            ReportError(ex.Message, ex.RawMessage);
            return;
        }
        SendFromReceiveLoop(msg);
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var action = msg.Get("action") as string;
        switch (action)
        {
            case "connect":
                await MqttActions.ConnectAsync(_broker, msg).ConfigureAwait(false);
                return;
            case "disconnect":
                await _broker.Connection.DisconnectAsync().ConfigureAwait(false);
                return;
            case "subscribe":
            case "unsubscribe":
                await SubscriptionActionAsync(action, msg).ConfigureAwait(false);
                return;
            case "getSubscriptions":
                msg["topic"] = "subscriptions";
                msg["payload"] = DynamicList();
                Send(msg);
                return;
            default:
                throw new InvalidOperationException("Invalid action specified");
        }
    }

    private async Task SubscriptionActionAsync(string action, JsObject msg)
    {
        List<object?> items;
        var topic = msg.Get("topic");
        if (action == "unsubscribe" && topic is true) items = _dynamicSubscriptions.Values.ToList();
        else if (topic is List<object?> list) items = list;
        else if (topic is string or JsObject) items = [topic];
        else throw new InvalidOperationException("msg.topic is missing or invalid");

        var subscriptions = new List<JsObject>();
        foreach (var item in items)
        {
            var sub = item switch
            {
                string s => new JsObject { ["topic"] = s },
                JsObject o => (JsObject)JsValue.DeepClone(o)!,
                _ => null,
            };
            if (sub?.Get("topic") is not string t || !MqttTopic.IsValidFilter(t)) throw new InvalidOperationException("Invalid topic specified");
            subscriptions.Add(sub);
        }

        if (action == "unsubscribe")
        {
            foreach (var sub in subscriptions)
            {
                var t = (string)sub["topic"]!;
                await _broker.Connection.UnsubscribeAsync(t, Id, removeFromBroker: true).ConfigureAwait(false);
                _dynamicSubscriptions.Remove(t);
            }
            msg["subscriptions"] = DynamicList();
            return;
        }

        foreach (var sub in subscriptions)
        {
            var t = (string)sub["topic"]!;
            if (_dynamicSubscriptions.ContainsKey(t))
            {
                await _broker.Connection.UnsubscribeAsync(t, Id, removeFromBroker: true).ConfigureAwait(false);
                _dynamicSubscriptions.Remove(t);
            }
            var qos = (int)(MqttMessages.Integer(sub.Get("qos"), 0, 2) ?? 2);
            sub["qos"] = (double)qos;
            SubscriptionOptions options;
            if (_v5)
            {
                var rh = (int)(MqttMessages.Integer(sub.Get("rh"), 0, 2) ?? 0);
                sub["rh"] = (double)rh;
                var rap = Flag(sub.Get("rap")) ?? true;
                sub["rap"] = rap;
                var nl = Flag(sub.Get("nl"));
                if (nl is null) sub.Remove("nl");
                else sub["nl"] = nl.Value;
                options = new SubscriptionOptions(qos, nl, rap, rh);
            }
            else
            {
                options = new SubscriptionOptions(qos);
            }
            var datatype = sub.Get("datatype") as string is { Length: > 0 } dt ? dt : _datatype;
            var refused = await _broker.Connection.SubscribeAsync(t, options, Id, m => Deliver(m, datatype)).ConfigureAwait(false);
            if (refused is not null) throw new InvalidOperationException(refused);
            _dynamicSubscriptions[t] = sub;
        }
        msg["subscriptions"] = DynamicList();
    }

    private List<object?> DynamicList() => _dynamicSubscriptions.Values.Select(JsValue.DeepClone).ToList();

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        var topics = _dynamic ? _dynamicSubscriptions.Keys.ToList() : [_topic];
        foreach (var topic in topics)
        {
            await _broker.Connection.UnsubscribeAsync(topic, Id, removed, cancellationToken).ConfigureAwait(false);
        }
        _dynamicSubscriptions.Clear();
        await _broker.DeregisterAsync(this, removed).ConfigureAwait(false);
    }
}
