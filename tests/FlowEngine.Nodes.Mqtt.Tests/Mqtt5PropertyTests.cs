using System.Text;
using FlowEngine.Core.Values;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class Mqtt5PropertyTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Mqtt_in_puts_the_mqtt_5_properties_of_a_message_on_msg()
    {
        var topic = Mqtt.Topic("props");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort), Mqtt.In("in", topic, "utf8"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, "body", 1, false, b => b
            .WithResponseTopic("reply/here")
            .WithCorrelationData([9, 8, 7])
            .WithContentType("text/plain")
            .WithMessageExpiryInterval(300)
            .WithUserProperty("site", (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes("north"))
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData));
        var msg = await flow.NextAsync("h");
        Assert.Equal("body", msg["payload"]);
        Assert.Equal("reply/here", msg["responseTopic"]);
        Assert.Equal(new byte[] { 9, 8, 7 }, msg["correlationData"]);
        Assert.Equal("text/plain", msg["contentType"]);
        Assert.InRange((double)msg["messageExpiryInterval"]!, 295, 300);
        Assert.Equal(true, msg["payloadFormatIndicator"]);
        Assert.Equal("north", ((JsObject)msg["userProperties"]!)["site"]);
    }

    [Fact]
    public async Task Mqtt_out_sends_mqtt_5_properties_from_the_message()
    {
        var topic = Mqtt.Topic("out-props");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(topic);
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort), Mqtt.Out("out", topic, "1")));
        await flow.ConnectedAsync("out");
        flow.Send("out", new JsObject
        {
            ["payload"] = "req",
            ["responseTopic"] = "answers/1",
            ["correlationData"] = new byte[] { 1, 2 },
            ["contentType"] = "application/json",
            ["messageExpiryInterval"] = 60.0,
            ["userProperties"] = new JsObject { ["k"] = "v", ["n"] = 3.0 },
        });
        var m = await client.NextAsync();
        Assert.Equal("answers/1", m.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2 }, m.CorrelationData);
        Assert.Equal("application/json", m.ContentType);
        Assert.InRange(m.MessageExpiryInterval, 55u, 60u);
        // Only string-valued user properties are sent, as in Node-RED.
        var property = Assert.Single(m.UserProperties!);
        Assert.Equal("k", property.Name);
        Assert.Equal("v", property.ReadValueAsString());
    }

    [Fact]
    public async Task Mqtt_out_node_properties_win_over_the_message()
    {
        var topic = Mqtt.Topic("node-props");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(topic);
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort),
            Mqtt.Out("out", topic, "1", extra: ""","respTopic":"node/reply","contentType":"text/csv","correl":"abc","expiry":"120","userProps":"{\"from\":\"node\"}" """.TrimEnd())));
        await flow.ConnectedAsync("out");
        flow.Send("out", new JsObject { ["payload"] = "a,b", ["topic"] = "ignored/topic", ["contentType"] = "text/plain", ["responseTopic"] = "msg/reply" });
        var m = await client.NextAsync();
        Assert.Equal(topic, m.Topic);
        Assert.Equal("node/reply", m.ResponseTopic);
        Assert.Equal("text/csv", m.ContentType);
        Assert.Equal("abc"u8.ToArray(), m.CorrelationData);
        Assert.InRange(m.MessageExpiryInterval, 115u, 120u);
        Assert.Equal("node", Assert.Single(m.UserProperties!).ReadValueAsString());
    }

    [Fact]
    public async Task Mqtt_out_without_a_topic_answers_on_the_response_topic()
    {
        var reply = Mqtt.Topic("reply");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.SubscribeAsync(reply);
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort), Mqtt.Out("out")));
        await flow.ConnectedAsync("out");
        flow.Send("out", new JsObject { ["payload"] = "pong", ["responseTopic"] = reply });
        var m = await client.NextAsync();
        Assert.Equal(reply, m.Topic);
        Assert.Equal("pong", m.Text());
    }

    [Fact]
    public async Task Auto_detect_with_content_type_application_json_parses_and_reports_bad_json()
    {
        var topic = Mqtt.Topic("ctype");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort), Mqtt.In("in", topic, "auto-detect"), Mqtt.Helper("h"),
            """{"id":"c","type":"catch","scope":null,"wires":[["e"]]}""", Mqtt.Helper("e")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, "not json", 1, false, b => b.WithContentType("application/json"));
        var error = await flow.NextAsync("e");
        Assert.Equal("Failed to parse JSON string", ((JsObject)error["error"]!)["message"]);
        await client.PublishAsync(topic, "[1]", 1, false, b => b.WithContentType("application/json"));
        Assert.Equal([1.0], Assert.IsType<List<object?>>((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task No_local_keeps_a_connection_from_receiving_its_own_publishes()
    {
        var topic = Mqtt.Topic("nl");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort),
            Mqtt.In("in", topic, "utf8").Replace("\"nl\":false", "\"nl\":true"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        flow.Send("out", """{"payload":"own"}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(400)));
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, "other");
        Assert.Equal("other", (await flow.NextAsync("h"))["payload"]);
    }
}
