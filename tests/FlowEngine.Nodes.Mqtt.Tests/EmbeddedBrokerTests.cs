using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

public sealed class EmbeddedBrokerTests
{
    private static RuntimeSettings Settings(JsObject broker) => new(new JsObject { ["mqttBroker"] = broker, ["userDir"] = Path.GetTempPath() });

    [Fact]
    public async Task Embedded_broker_is_off_unless_the_settings_enable_it()
    {
        await using var broker = new EmbeddedBroker();
        Assert.False(await broker.StartAsync(new RuntimeSettings()));
        Assert.False(await broker.StartAsync(Settings(new JsObject { ["enabled"] = false })));
        Assert.False(broker.IsRunning);
    }

    [Fact]
    public async Task Embedded_broker_carries_a_round_trip_between_mqtt_out_and_mqtt_in()
    {
        await using var broker = new EmbeddedBroker();
        Assert.True(await broker.StartAsync(Settings(new JsObject { ["enabled"] = true, ["port"] = 0.0 })));
        var topic = Mqtt.Topic("embedded");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(broker.Port!.Value), Mqtt.In("in", topic, "auto-detect", "1"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        flow.Send("out", """{"payload":{"inside":true}}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(true, ((JsObject)msg["payload"]!)["inside"]);
    }

    [Fact]
    public async Task Embedded_broker_with_users_refuses_a_wrong_password_and_accepts_a_bcrypt_one()
    {
        await using var broker = new EmbeddedBroker();
        var hash = BCrypt.Net.BCrypt.HashPassword("pw1", 4);
        await broker.StartAsync(Settings(new JsObject
        {
            ["enabled"] = true,
            ["port"] = 0.0,
            ["users"] = new List<object?> { new JsObject { ["username"] = "plain", ["password"] = "pw0" }, new JsObject { ["username"] = "hashed", ["password"] = hash } },
        }));
        var port = broker.Port!.Value;
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(port, "good", ""","credentials":{"user":"hashed","password":"pw1"}"""),
            Mqtt.Broker(port, "bad", ""","credentials":{"user":"plain","password":"nope"}"""),
            Mqtt.Broker(port, "anon"),
            Mqtt.Out("o1", "a", broker: "good"), Mqtt.Out("o2", "a", broker: "bad"), Mqtt.Out("o3", "a", broker: "anon")));
        await flow.ConnectedAsync("o1");
        Assert.Equal("disconnected: Connection refused: Bad username or password", (await flow.StatusAsync("o2", s => s.Fill == "red" && s.Text != "disconnected")).Text);
        Assert.Equal("disconnected: Connection refused: Not authorized", (await flow.StatusAsync("o3", s => s.Fill == "red" && s.Text != "disconnected")).Text);
    }

    [Fact]
    public async Task Embedded_broker_listens_on_loopback_only_by_default()
    {
        await using var broker = new EmbeddedBroker();
        await broker.StartAsync(Settings(new JsObject { ["enabled"] = true, ["port"] = 0.0 }));
        Assert.Equal("127.0.0.1", broker.Host);
        var listening = System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == broker.Port).ToList();
        Assert.NotEmpty(listening);
        Assert.All(listening, e => Assert.True(System.Net.IPAddress.IsLoopback(e.Address), e.ToString()));
    }
}
