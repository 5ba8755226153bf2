using MQTTnet;
using MQTTnet.Formatter;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>Everything needed to open one MQTT connection. Plain data; the broker config node builds it.</summary>
internal sealed record MqttConnectionSettings
{
    /// <summary>"mqtt", "mqtts", "ws" or "wss".</summary>
    public string Scheme { get; init; } = "mqtt";
    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 1883;
    /// <summary>Full URL for WebSocket connections.</summary>
    public string? WebSocketUrl { get; init; }
    public bool UseTls { get; init; }
    /// <summary>Builds the TLS options for a host name; throws when certificate files cannot be read.</summary>
    public Func<string, MqttClientTlsOptions>? Tls { get; init; }
    public string ClientId { get; init; } = "";
    public string? Username { get; init; }
    public string? Password { get; init; }
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V311;
    public int KeepAliveSeconds { get; init; } = 60;
    public bool CleanSession { get; init; } = true;
    public uint SessionExpiryInterval { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
    public OutgoingMessage? Birth { get; init; }
    public OutgoingMessage? Close { get; init; }
    public OutgoingMessage? Will { get; init; }
    public uint WillDelayInterval { get; init; }
    public bool AutoConnect { get; init; } = true;
    public bool AutoUnsubscribe { get; init; } = true;
    /// <summary>Longest wait between reconnect attempts (Node-RED's mqttReconnectTime); waits start short and double up to it.</summary>
    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int OfflineBufferSize { get; init; } = 1000;
    /// <summary>
    /// How long the receive thread waits before its next read while messages stream in densely (the mqttReceivePause
    /// setting); zero reads at once, always. See <see cref="ReceivePacing"/>.
    /// </summary>
    public TimeSpan ReceivePause { get; init; } = ReceivePacing.DefaultPause;
    /// <summary>mqtt-spool.db path, or null to keep QoS 1/2 messages in memory too.</summary>
    public string? SpoolPath { get; init; }
    /// <summary>Key of this connection's spool collection (the broker config node id).</summary>
    public string Owner { get; init; } = "mqtt";

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    /// <summary>Node-RED's label for the broker in logs: "clientid@mqtt://host:port".</summary>
    public string Describe() => (ClientId.Length > 0 ? ClientId + "@" : "") + (WebSocketUrl ?? $"{(UseTls ? "mqtts" : "mqtt")}://{Host}:{Port}");
}
