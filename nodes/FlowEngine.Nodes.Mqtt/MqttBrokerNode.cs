using System.Globalization;
using System.Security.Cryptography;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet.Formatter;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>A node that uses an mqtt-broker config node and shows its connection state.</summary>
internal interface IMqttBrokerUser
{
    string Id { get; }
    /// <summary>Called (on a background thread) when the connection state or the offline buffer changes.</summary>
    void OnBrokerStatus(NodeStatus status);
    /// <summary>Whether the status should show the number of messages waiting to be published (mqtt out).</summary>
    bool ShowsBuffer { get; }
}

/// <summary>
/// Node-RED's mqtt-broker config node: one MQTT connection, shared by every mqtt in and mqtt out node that names it.
/// The connection opens when the first user registers, survives deploys that do not change this node (the runtime
/// keeps unchanged config nodes running), and closes (after the close message) when the node stops.
/// </summary>
internal sealed class MqttBrokerNode : FlowNode, IConnectionHealth
{
    public static readonly NodeDeclaration Declaration = new("mqtt-broker")
    {
        Category = "config",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/mqtt",
        Help = """
            A connection to an MQTT broker, shared by every mqtt in and mqtt out node that uses it.

            **Connection**
            - **broker**: host name or IP address, or a URL `mqtt://`, `mqtts://`, `ws://`, `wss://` (port and TLS then come from the URL).
            - **port** (1883), **clientid** (blank: generated; required for a persistent session), **autoConnect** (true: connect when deployed; false: wait for a `connect` action).
            - **usetls** and **tls**: connect with TLS, using a tls-config node for the CA, client certificate and verification. Without a tls-config node the system trust store is used and **verifyservercert** decides whether the server certificate is checked.
            - **protocolVersion**: 3 (MQTT 3.1), 4 (3.1.1, default), 5 (MQTT 5). **compatmode** true is the legacy way of saying 3.
            - **keepalive** seconds (60), **cleansession** (true; false keeps the session and needs a client id), **sessionExpiry** seconds (MQTT 5), **userProps** (MQTT 5 CONNECT user properties, a JSON object), **autoUnsubscribe** (true: unsubscribe from the broker when the last node stops using a topic).

            **Messages**
            - birth (`birthTopic`, `birthPayload`, `birthQos`, `birthRetain`, `birthMsg` with MQTT 5 properties `contentType`, `respTopic`, `correl`, `expiry`, `userProps`): published after each connect.
            - close (`close*`): published before a deliberate disconnect.
            - will (`will*`, plus `willMsg.delay` for MQTT 5): published by the broker when the connection is lost unexpectedly.

            **Credentials**: `user` and `password`.

            **Reconnecting and buffering**: a lost connection is tried again after 1 s, then twice as long each time up to the `mqttReconnectTime` setting (15000 ms). Messages published while disconnected wait and are sent in order on reconnect: QoS 0 messages in memory, at most `mqttBufferSize` (setting, default 1000; when full the oldest are dropped and counted), QoS 1 and 2 messages on disk in `mqtt-spool.db` in the user directory, so none is lost, even across a restart.

            **Reading under load**: while messages arrive densely (thousands a second, each read finding data waiting), the connection waits the `mqttReceivePause` setting (1 ms; at most 10, 0 switches it off) before each read, so one read takes many messages instead of one wake-up per message. This costs a message at most that much latency and only under load; a stream that slows down is read at once again.

            Status of the nodes using it: *connecting* (yellow ring), *connected* (green dot), *disconnected* with the reason (red ring), plus the number of buffered messages on mqtt out nodes.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("broker", PropertyKind.String) { Required = true, Label = "Server" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 1883.0, Label = "Port" },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { ConfigType = "tls-config", Label = "TLS Configuration" },
            new PropertyDeclaration("clientid", PropertyKind.String) { Default = "", Label = "Client ID" },
            new PropertyDeclaration("autoConnect", PropertyKind.Bool) { Default = true, Label = "Connect automatically" },
            new PropertyDeclaration("usetls", PropertyKind.Bool) { Default = false, Label = "Use TLS" },
            new PropertyDeclaration("verifyservercert", PropertyKind.Bool) { Default = false, Label = "Verify server certificate" },
            new PropertyDeclaration("compatmode", PropertyKind.Bool) { Default = false, Label = "Use legacy MQTT 3.1 support" },
            new PropertyDeclaration("protocolVersion", PropertyKind.Select) { Default = 4.0, Options = ["3", "4", "5"], Label = "Protocol" },
            new PropertyDeclaration("keepalive", PropertyKind.Number) { Default = 60.0, Label = "Keep Alive" },
            new PropertyDeclaration("cleansession", PropertyKind.Bool) { Default = true, Label = "Use clean session" },
            new PropertyDeclaration("autoUnsubscribe", PropertyKind.Bool) { Default = true, Label = "Automatically unsubscribe when disconnecting" },
            new PropertyDeclaration("birthTopic", PropertyKind.String) { Default = "", Validate = ValidateTopic },
            new PropertyDeclaration("birthQos", PropertyKind.Select) { Default = "0", Options = ["0", "1", "2"] },
            new PropertyDeclaration("birthRetain", PropertyKind.String) { Default = "false" },
            new PropertyDeclaration("birthPayload", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("birthMsg", PropertyKind.Any) { Default = new JsObject() },
            new PropertyDeclaration("closeTopic", PropertyKind.String) { Default = "", Validate = ValidateTopic },
            new PropertyDeclaration("closeQos", PropertyKind.Select) { Default = "0", Options = ["0", "1", "2"] },
            new PropertyDeclaration("closeRetain", PropertyKind.String) { Default = "false" },
            new PropertyDeclaration("closePayload", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("closeMsg", PropertyKind.Any) { Default = new JsObject() },
            new PropertyDeclaration("willTopic", PropertyKind.String) { Default = "", Validate = ValidateTopic },
            new PropertyDeclaration("willQos", PropertyKind.Select) { Default = "0", Options = ["0", "1", "2"] },
            new PropertyDeclaration("willRetain", PropertyKind.String) { Default = "false" },
            new PropertyDeclaration("willPayload", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("willMsg", PropertyKind.Any) { Default = new JsObject() },
            new PropertyDeclaration("userProps", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("sessionExpiry", PropertyKind.Number) { Default = 0.0, Label = "Session Expiry (secs)" },
        ],
        Credentials = [new CredentialDeclaration("user", false, "Username"), new CredentialDeclaration("password", true, "Password")],
    };

    private static string? ValidateTopic(object? value) =>
        value is string { Length: > 0 } s && !MqttTopic.IsValidPublishTopic(s) ? "Invalid topic specified" : null;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IMqttBrokerUser> _users = new(StringComparer.Ordinal);
    private readonly MqttConnectionSettings _settings;
    private readonly TlsConfigNode? _tls;
    private readonly bool _verifyServerCert;
    private readonly bool _missingClientIdForSession;
    private MqttConnection? _connection;

    public MqttBrokerNode(NodeSetup setup) : base(setup)
    {
        var broker = Config.GetString("broker").Trim();
        var port = (int)Config.GetNumber("port", 1883);
        if (port is < 0 or > 65535) throw Config.Invalid("port", $"expected a port number from 1 to 65535, got {port}");
        if (port == 0) port = 1883;
        var useTls = Config.GetBool("usetls", false);
        _verifyServerCert = Config.GetBool("verifyservercert", false);
        _tls = useTls ? setup.ConfigNode<TlsConfigNode>("tls") : null;
        var version = Config.GetBool("compatmode", false) ? 3 : (int)Config.GetNumber("protocolVersion", 4);
        var protocol = version switch
        {
            3 => MqttProtocolVersion.V310,
            4 => MqttProtocolVersion.V311,
            5 => MqttProtocolVersion.V500,
            _ => throw Config.Invalid("protocolVersion", $"expected 3, 4 or 5, got {version}"),
        };
        var v5 = protocol == MqttProtocolVersion.V500;
        var keepAlive = Config.GetNumber("keepalive", 60);
        if (keepAlive is < 0 or > 65535) throw Config.Invalid("keepalive", $"expected 0 to 65535 seconds, got {keepAlive}");
        var clientId = Config.GetString("clientid").Trim();
        var clean = Config.GetBool("cleansession", true);
        if (!clean && clientId.Length == 0)
        {
            // Node-RED: "No client ID set, using clean session" (warned at start).
            clean = true;
            _missingClientIdForSession = true;
        }
        if (clientId.Length == 0) clientId = "nodered" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

        var settingsRaw = Services.Settings;
        var reconnectMs = settingsRaw.Raw.Get("mqttReconnectTime") as double? ?? 15000;
        var bufferSize = settingsRaw.Raw.Get("mqttBufferSize") as double? ?? 1000;
        var receivePauseMs = settingsRaw.Raw.Get("mqttReceivePause") as double? ?? ReceivePacing.DefaultPause.TotalMilliseconds;

        var (scheme, host, urlPort, url) = ParseBroker(broker, useTls);
        var tls = scheme is "mqtts" or "wss";
        _settings = new MqttConnectionSettings
        {
            Scheme = scheme,
            Host = host,
            Port = urlPort ?? port,
            WebSocketUrl = url,
            UseTls = tls,
            Tls = tls ? CreateTlsOptions : null,
            ClientId = clientId,
            Username = Credentials.Get("user") as string,
            Password = Credentials.Get("password") as string,
            ProtocolVersion = protocol,
            KeepAliveSeconds = (int)keepAlive,
            CleanSession = clean,
            SessionExpiryInterval = v5 ? (uint)Math.Max(0, Config.GetNumber("sessionExpiry", 0)) : 0,
            UserProperties = v5 ? MqttMessages.UserProperties(Config.GetString("userProps")) : null,
            Birth = LastMessage("birth", v5),
            Close = LastMessage("close", v5),
            Will = LastMessage("will", v5),
            WillDelayInterval = v5 && Config.GetObject("willMsg") is { } willMsg && MqttMessages.Integer(willMsg.Get("delay"), 0, uint.MaxValue) is { } delay ? (uint)delay : 0,
            AutoConnect = Config.GetBool("autoConnect", true),
            AutoUnsubscribe = Config.Get("autoUnsubscribe") is not bool autoUnsubscribe || autoUnsubscribe,
            ReconnectMax = TimeSpan.FromMilliseconds(Math.Max(100, reconnectMs)),
            ReconnectMin = TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(100, reconnectMs))),
            OfflineBufferSize = (int)Math.Max(1, bufferSize),
            ReceivePause = ReceivePacing.Bounded(receivePauseMs),
            SpoolPath = Path.Combine(settingsRaw.UserDir, "mqtt-spool.db"),
            Owner = Id,
        };
    }

    /// <summary>Node-RED's broker field: a host, or a URL whose scheme decides TLS and WebSocket.</summary>
    private (string Scheme, string Host, int? Port, string? WebSocketUrl) ParseBroker(string broker, bool useTls)
    {
        if (broker.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(broker, UriKind.Absolute, out var uri)) throw Config.Invalid("broker", $"\"{broker}\" is not a valid URL");
            var scheme = uri.Scheme.ToLowerInvariant() switch
            {
                "mqtt" or "tcp" => "mqtt",
                "mqtts" or "ssl" or "tls" => "mqtts",
                "ws" => "ws",
                "wss" => "wss",
                var other => throw Config.Invalid("broker", $"unsupported scheme \"{other}\" (expected mqtt, mqtts, ws or wss)"),
            };
            int? port = uri.IsDefaultPort || uri.Port <= 0 ? scheme switch { "mqtt" => 1883, "mqtts" => 8883, _ => null } : uri.Port;
            var url = scheme is "ws" or "wss" ? broker : null;
            return (scheme, uri.Host, port, url);
        }
        var host = broker.Length == 0 ? "localhost" : broker.Trim('[', ']');
        return (useTls ? "mqtts" : "mqtt", host, null, null);
    }

    private OutgoingMessage? LastMessage(string prefix, bool v5)
    {
        var topic = Config.GetString(prefix + "Topic");
        if (topic.Length == 0) return null;
        if (!MqttTopic.IsValidPublishTopic(topic)) throw Config.Invalid(prefix + "Topic", "Invalid topic specified");
        var qos = MqttMessages.Integer(Config.Get(prefix + "Qos"), 0, 2) ?? 0;
        var retain = Config.Get(prefix + "Retain") is true or "true";
        var extra = v5 ? Config.GetObject(prefix + "Msg") : null;
        return new OutgoingMessage
        {
            Topic = topic,
            Payload = MqttMessages.ToPayload(Config.Get(prefix + "Payload") ?? ""),
            Qos = (int)qos,
            Retain = retain,
            ContentType = extra?.Get("contentType") is string { Length: > 0 } ct ? ct : null,
            ResponseTopic = extra?.Get("respTopic") is string { Length: > 0 } rt ? rt : null,
            CorrelationData = MqttMessages.Bytes(extra?.Get("correl")),
            MessageExpiryInterval = MqttMessages.Integer(extra?.Get("expiry"), 0, uint.MaxValue) is { } e ? (uint)e : null,
            UserProperties = MqttMessages.UserProperties(extra?.Get("userProps")),
        };
    }

    private MQTTnet.MqttClientTlsOptions CreateTlsOptions(string host) =>
        _tls is not null ? _tls.CreateClientOptions(host) : TlsConfigNode.DefaultClientOptions(host, _verifyServerCert);

    /// <summary>The shared connection; exists from this node's start until it closes.</summary>
    public MqttConnection Connection => _connection ?? throw new InvalidOperationException($"mqtt-broker {Id} is not started");

    public bool IsV5 => Connection.Settings.IsV5;

    /// <summary>Whether the broker is on this machine: Node-RED then adds msg._topic to received messages.</summary>
    public bool IsLocalBroker => Connection.Settings.Host is "localhost" or "127.0.0.1";

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_missingClientIdForSession) Warn("No client ID set, using clean session");
        var connection = new MqttConnection(_settings, Clock);
        connection.StateChanged += (_, _) => PublishStatus();
        connection.BufferChanged += PublishStatus;
        connection.Log += (text, warn) =>
        {
            if (warn) Warn(text);
            else Log(text);
        };
        _connection = connection;
        return ValueTask.CompletedTask;
    }

    /// <summary>Down only while some node uses the connection and it is not up; unused brokers do not count.</summary>
    public bool? IsConnected
    {
        get
        {
            if (_connection is not { } connection) return null;
            lock (_gate)
            {
                if (_users.Count == 0) return null;
            }
            return connection.IsConnected;
        }
    }

    public string ConnectionTarget => _settings.Describe();

    /// <summary>A node starts using this connection. The first one starts it (when autoConnect is on).</summary>
    public void Register(IMqttBrokerUser user)
    {
        bool first;
        lock (_gate)
        {
            _users[user.Id] = user;
            first = _users.Count == 1;
        }
        if (first && Connection.Settings.AutoConnect) Connection.Start();
        user.OnBrokerStatus(StatusFor(user));
    }

    /// <summary>
    /// A node stops using this connection. When it was deleted (not just redeployed) and it was the last user, the
    /// connection closes, as in Node-RED.
    /// </summary>
    public async Task DeregisterAsync(IMqttBrokerUser user, bool removed)
    {
        bool last;
        lock (_gate)
        {
            _users.Remove(user.Id);
            last = _users.Count == 0;
        }
        if (removed && last && _connection is { IsConnected: true } connection) await connection.DisconnectAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the connection again after a "disconnect" action (or with changed settings).</summary>
    public void Connect(MqttConnectionSettings? settings = null)
    {
        if (settings is not null) Connection.UpdateSettings(settings);
        Connection.Start();
    }

    private void PublishStatus()
    {
        IMqttBrokerUser[] users;
        lock (_gate) users = _users.Values.ToArray();
        foreach (var user in users) user.OnBrokerStatus(StatusFor(user));
    }

    private NodeStatus StatusFor(IMqttBrokerUser user)
    {
        var connection = _connection;
        if (connection is null) return NodeStatus.Error("disconnected");
        var buffered = user.ShowsBuffer ? connection.Outbox.Count : 0;
        var dropped = user.ShowsBuffer ? connection.Outbox.Dropped : 0;
        var suffix = buffered > 0 || dropped > 0
            ? string.Create(CultureInfo.InvariantCulture, $" ({buffered} buffered{(dropped > 0 ? $", {dropped} dropped" : "")})")
            : "";
        return connection.State switch
        {
            ConnectionState.Connected => new NodeStatus("green", "dot", "connected"),
            ConnectionState.Connecting => new NodeStatus("yellow", "ring", "connecting" + suffix),
            _ => new NodeStatus("red", "ring", (connection.LastReason is { } reason ? "disconnected: " + reason : "disconnected") + suffix),
        };
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            // QoS 1/2 messages are on disk by now; what is left in memory is QoS 0 and is lost.
            var lost = connection.Outbox.MemoryCount;
            if (lost > 0) Warn($"{lost} QoS 0 message(s) were not published before the broker connection closed");
        }
    }
}
