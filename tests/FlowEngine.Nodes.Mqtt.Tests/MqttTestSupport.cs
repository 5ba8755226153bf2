using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using FlowEngine.TestKit;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>Flow JSON builders and waits shared by the MQTT tests.</summary>
internal static class Mqtt
{
    public static string Text(this MqttApplicationMessage m) => Encoding.UTF8.GetString(m.Payload.ToArray());

    public static TestFlowOptions Options(JsObject? settings = null) => new()
    {
        Register = MqttNodes.Register,
        Settings = settings ?? new JsObject { ["mqttReconnectTime"] = 500.0 },
    };

    public static Task<TestFlow> StartAsync(string flowJson, JsObject? settings = null) => TestFlow.StartAsync(flowJson, Options(settings));

    /// <summary>A tab with the given nodes (JSON objects without "z", x, y: added here).</summary>
    public static string Flow(params string[] nodes)
    {
        var sb = new StringBuilder("""[{"id":"t1","type":"tab","label":"T"}""");
        foreach (var node in nodes)
        {
            var isConfig = node.Contains("\"type\":\"mqtt-broker\"", StringComparison.Ordinal) || node.Contains("\"type\":\"tls-config\"", StringComparison.Ordinal);
            var trimmed = node.Trim();
            sb.Append(',').Append(trimmed[..^1]);
            if (!isConfig) sb.Append(""","z":"t1","x":100,"y":100""");
            if (!isConfig && !trimmed.Contains("\"wires\"", StringComparison.Ordinal)) sb.Append(""","wires":[]""");
            sb.Append('}');
        }
        sb.Append(']');
        return sb.ToString();
    }

    public static string Broker(int port, string id = "b1", string extra = "", int version = 4) =>
        $$"""{"id":"{{id}}","type":"mqtt-broker","name":"test broker","broker":"127.0.0.1","port":"{{port}}","clientid":"","protocolVersion":"{{version}}","keepalive":"60","cleansession":true{{extra}}}""";

    public static string Broker5(int port, string id = "b1", string extra = "") => Broker(port, id, extra, 5);

    public static string In(string id, string topic, string datatype = "auto-detect", string qos = "2", string broker = "b1", string wires = "h", string extra = "") =>
        $$"""{"id":"{{id}}","type":"mqtt in","topic":"{{topic}}","qos":"{{qos}}","datatype":"{{datatype}}","broker":"{{broker}}","nl":false,"rap":true,"rh":0,"inputs":0{{extra}},"wires":[["{{wires}}"]]}""";

    public static string Out(string id, string topic = "", string qos = "", string retain = "", string broker = "b1", string extra = "") =>
        $$"""{"id":"{{id}}","type":"mqtt out","topic":"{{topic}}","qos":"{{qos}}","retain":"{{retain}}","broker":"{{broker}}"{{extra}}}""";

    public static string Helper(string id) => $$"""{"id":"{{id}}","type":"helper"}""";

    /// <summary>A client connection of our own to the broker on <paramref name="port"/>, connected.</summary>
    public static async Task<MqttConnection> ConnectionAsync(int port, string name)
    {
        var connection = new MqttConnection(new MqttConnectionSettings
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = name + "-" + Guid.NewGuid().ToString("N")[..8],
        }, TimeProvider.System);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.StateChanged += (state, _) => { if (state == ConnectionState.Connected) connected.TrySetResult(); };
        connection.Start();
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return connection;
    }

    public static string Topic(string name) => $"fe-test/{Guid.NewGuid():N}/{name}";

    /// <summary>Waits until a node's latest status satisfies the condition; returns it.</summary>
    public static async Task<NodeStatus> StatusAsync(this TestFlow flow, string nodeId, Func<NodeStatus, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        NodeStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = flow.Statuses.Where(s => s.Node.Id == nodeId).Select(s => s.Status).LastOrDefault();
            if (last is not null && condition(last)) return last;
            await Task.Delay(20);
        }
        var all = string.Join(" | ", flow.Statuses.Where(s => s.Node.Id == nodeId).Select(s => $"{s.Status.Fill} {s.Status.Shape} {s.Status.Text}"));
        throw new TimeoutException($"status of {nodeId} never matched; saw: {all}");
    }

    public static Task<NodeStatus> ConnectedAsync(this TestFlow flow, string nodeId) =>
        flow.StatusAsync(nodeId, s => s.Text == "connected");
}

/// <summary>An MQTTnet client outside the flow, to publish to and watch what the nodes do.</summary>
internal sealed class ExternalClient : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly Channel<MqttApplicationMessage> _received = Channel.CreateUnbounded<MqttApplicationMessage>();

    public ConcurrentQueue<MqttApplicationMessage> All { get; } = new();

    public static async Task<ExternalClient> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500, string? user = null, string? password = null)
    {
        var client = new ExternalClient();
        client._client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            // Copy the payload: MQTTnet reuses its buffers after the handler returns.
            var copy = new MqttApplicationMessageBuilder().WithTopic(m.Topic).WithPayload(m.Payload.ToArray())
                .WithQualityOfServiceLevel(m.QualityOfServiceLevel).WithRetainFlag(m.Retain).Build();
            copy.ResponseTopic = m.ResponseTopic;
            copy.CorrelationData = m.CorrelationData;
            copy.ContentType = m.ContentType;
            copy.UserProperties = m.UserProperties;
            copy.MessageExpiryInterval = m.MessageExpiryInterval;
            copy.PayloadFormatIndicator = m.PayloadFormatIndicator;
            client.All.Enqueue(copy);
            client._received.Writer.TryWrite(copy);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(version).WithClientId("ext-" + Guid.NewGuid().ToString("N")[..12]);
        if (user is not null) options.WithCredentials(user, password);
        await client._client.ConnectAsync(options.Build());
        return client;
    }

    public async Task SubscribeAsync(string filter, int qos = 2) =>
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, (MqttQualityOfServiceLevel)qos).Build());

    public async Task PublishAsync(string topic, byte[] payload, int qos = 1, bool retain = false, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var builder = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos).WithRetainFlag(retain);
        configure?.Invoke(builder);
        await _client.PublishAsync(builder.Build());
    }

    public Task PublishAsync(string topic, string payload, int qos = 1, bool retain = false, Action<MqttApplicationMessageBuilder>? configure = null) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, retain, configure);

    public async Task<MqttApplicationMessage> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(cts.Token);
    }

    public async Task<bool> NothingArrivesAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _received.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected) await _client.DisconnectAsync(new MqttClientDisconnectOptions());
        _client.Dispose();
    }
}
