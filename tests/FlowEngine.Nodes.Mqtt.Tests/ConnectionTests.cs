using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class ConnectionTests(MosquittoFixture mosquitto)
{
    private static string Credentials(string user, string password) => $$""","credentials":{"user":"{{user}}","password":"{{password}}"}""";

    [Fact]
    public async Task Username_and_password_credentials_are_accepted()
    {
        var topic = Mqtt.Topic("auth");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.AuthPort, extra: Credentials(MosquittoFixture.User, MosquittoFixture.Password)),
            Mqtt.In("in", topic, "utf8"), Mqtt.Out("out", topic), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        flow.Send("out", """{"payload":"secret"}""");
        Assert.Equal("secret", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task A_wrong_password_shows_a_red_status_saying_the_connection_was_refused()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.AuthPort, extra: Credentials(MosquittoFixture.User, "wrong")), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.Equal("ring", status.Shape);
        Assert.Equal("disconnected: Connection refused: Not authorized", status.Text);
    }

    [Fact]
    public async Task A_wrong_password_over_mqtt_5_says_bad_username_or_password()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker5(mosquitto.AuthPort, extra: Credentials(MosquittoFixture.User, "wrong")), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.StartsWith("disconnected: Connection refused: ", status.Text, StringComparison.Ordinal);
        Assert.True(status.Text!.Contains("Bad username or password", StringComparison.Ordinal) || status.Text.Contains("Not authorized", StringComparison.Ordinal), status.Text);
    }

    [Fact]
    public async Task No_broker_listening_shows_connection_refused_and_keeps_retrying()
    {
        var port = mosquitto.PlainPort + 0;
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var closedPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(closedPort), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.Equal($"disconnected: connection refused (127.0.0.1:{closedPort})", status.Text);
        // It keeps trying: "connecting" comes back after each wait.
        for (var i = 0; i < 200 && flow.Statuses.Count(s => s.Node.Id == "out" && s.Status.Text == "connecting") < 2; i++) await Task.Delay(25);
        Assert.True(flow.Statuses.Count(s => s.Node.Id == "out" && s.Status.Text == "connecting") >= 2);
        Assert.NotEqual(0, port);
    }

    [Fact]
    public async Task Status_goes_from_connecting_yellow_to_connected_green()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.Out("out", "a/b")));
        var connected = await flow.ConnectedAsync("out");
        Assert.Equal(("green", "dot"), (connected.Fill, connected.Shape));
        var connecting = flow.Statuses.Where(s => s.Node.Id == "out").Select(s => s.Status).First(s => s.Text == "connecting");
        Assert.Equal(("yellow", "ring"), (connecting.Fill, connecting.Shape));
    }

    [Theory]
    [InlineData(null, 1.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(2.0, 2.0)]
    [InlineData(0.0, 0.0)]
    [InlineData(-1.0, 0.0)]
    [InlineData(60.0, 10.0)]
    public async Task The_mqttReceivePause_setting_sets_the_pause_before_reads_of_a_dense_stream(double? setting, double expectedMs)
    {
        var settings = setting is { } ms ? new JsObject { ["mqttReceivePause"] = ms } : null;
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", Mqtt.Topic("pause"), "utf8")), settings);
        var broker = (MqttBrokerNode)flow.Runtime.Services.Nodes.Find("b1")!;
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), broker.Connection.Settings.ReceivePause);
    }

    [Fact]
    public async Task Nodes_sharing_a_broker_use_one_connection_which_survives_a_nodes_deploy()
    {
        var topic = Mqtt.Topic("shared-conn");
        string Flow(string outQos) => Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", topic, "utf8"), Mqtt.Out("out", topic, outQos), Mqtt.Helper("h"));
        await using var flow = await Mqtt.StartAsync(Flow("1"));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        var broker = (MqttBrokerNode)flow.Runtime.Services.Nodes.Find("b1")!;
        var connection = broker.Connection;
        var statusesBefore = flow.Statuses.Count;

        var outcome = await flow.DeployAsync(Flow("2"), DeploymentType.Nodes);

        Assert.Contains("out", outcome.Started);
        Assert.DoesNotContain("b1", outcome.Started);
        Assert.DoesNotContain("in", outcome.Started);
        Assert.Same(broker, flow.Runtime.Services.Nodes.Find("b1"));
        Assert.Same(connection, broker.Connection);
        await flow.ConnectedAsync("out");
        // The connection never dropped: no node went back to "connecting".
        Assert.DoesNotContain(flow.Statuses.Skip(statusesBefore), s => s.Status.Text == "connecting");
        flow.Send("out", """{"payload":"after deploy"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("after deploy", msg["payload"]);
        Assert.Equal(2.0, msg["qos"]);
    }

    [Fact]
    public async Task Changing_the_broker_node_reconnects_its_users_with_the_new_settings()
    {
        var topic = Mqtt.Topic("changed");
        string Flow(int keepAlive) => Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort).Replace("\"keepalive\":\"60\"", $"\"keepalive\":\"{keepAlive}\""),
            Mqtt.In("in", topic, "utf8"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h"));
        await using var flow = await Mqtt.StartAsync(Flow(60));
        await flow.ConnectedAsync("in");
        var before = flow.Runtime.Services.Nodes.Find("b1");
        var outcome = await flow.DeployAsync(Flow(30), DeploymentType.Nodes);
        Assert.Contains("b1", outcome.Started);
        Assert.Contains("in", outcome.Started);
        Assert.NotSame(before, flow.Runtime.Services.Nodes.Find("b1"));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        flow.Send("out", """{"payload":"again"}""");
        Assert.Equal("again", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Birth_message_is_published_on_connect_and_close_message_on_shutdown()
    {
        var birth = Mqtt.Topic("birth");
        var close = Mqtt.Topic("close");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(birth);
        await client.SubscribeAsync(close);
        var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.PlainPort, extra: $$""","birthTopic":"{{birth}}","birthPayload":"online","birthQos":"1","birthRetain":"false","closeTopic":"{{close}}","closePayload":"offline","closeQos":"1" """.TrimEnd()),
            Mqtt.Out("out", "a/b")));
        var first = await client.NextAsync();
        Assert.Equal((birth, "online"), (first.Topic, first.Text()));
        await flow.DisposeAsync();
        var last = await client.NextAsync();
        Assert.Equal((close, "offline"), (last.Topic, last.Text()));
    }

    [Fact]
    public async Task Will_message_is_published_by_the_broker_when_the_connection_is_lost()
    {
        var will = Mqtt.Topic("will");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(will);
        var clientId = "fe-will-" + Guid.NewGuid().ToString("N")[..8];
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.PlainPort, extra: $$""","clientid":"{{clientId}}","willTopic":"{{will}}","willPayload":"gone","willQos":"1" """.TrimEnd()),
            Mqtt.Out("out", "a/b")));
        await flow.ConnectedAsync("out");
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(200)));
        // Another client taking the same client id makes the broker drop ours without a DISCONNECT: the will fires.
        await using var thief = await ExternalClientWithId.ConnectAsync(mosquitto.PlainPort, clientId);
        var m = await client.NextAsync();
        Assert.Equal((will, "gone"), (m.Topic, m.Text()));
    }

    [Fact]
    public async Task Mqtt_out_with_no_topic_anywhere_warns_invalid_topic()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.Out("out")));
        await flow.ConnectedAsync("out");
        flow.Send("out", """{"payload":"x"}""");
        await flow.SettleAsync();
        for (var i = 0; i < 100 && !flow.Logs.Any(l => l.Message == "Invalid topic specified"); i++) await Task.Delay(20);
        Assert.Contains(flow.Logs, l => l.Node?.Id == "out" && l.Message == "Invalid topic specified");
    }

    [Fact]
    public async Task Msg_qos_and_retain_are_used_when_the_node_leaves_them_blank()
    {
        var topic = Mqtt.Topic("msgqos");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(topic, 2);
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.Out("out")));
        await flow.ConnectedAsync("out");
        flow.Send("out", new JsObject { ["topic"] = topic, ["payload"] = "r", ["qos"] = "2", ["retain"] = true });
        var m = await client.NextAsync();
        Assert.Equal(MQTTnet.Protocol.MqttQualityOfServiceLevel.ExactlyOnce, m.QualityOfServiceLevel);
        await using var late = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await late.SubscribeAsync(topic);
        Assert.True((await late.NextAsync()).Retain);
        await late.PublishAsync(topic, [], 1, retain: true);
    }
}

/// <summary>A bare client with a chosen id (to take over a session).</summary>
internal sealed class ExternalClientWithId : IAsyncDisposable
{
    private readonly MQTTnet.IMqttClient _client = new MQTTnet.MqttClientFactory().CreateMqttClient();

    public static async Task<ExternalClientWithId> ConnectAsync(int port, string clientId)
    {
        var c = new ExternalClientWithId();
        await c._client.ConnectAsync(new MQTTnet.MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(clientId).Build());
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected) await _client.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptions());
        _client.Dispose();
    }
}
