using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class PayloadErrorTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Malformed_json_with_parsed_json_output_goes_to_catch_with_the_raw_payload_and_the_stream_continues()
    {
        var topic = Mqtt.Topic("badjson");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", topic, "json", "1"), Mqtt.Helper("h"),
            """{"id":"c","type":"catch","scope":null,"wires":[["e"]]}""", Mqtt.Helper("e")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, """{"ok":1}""");
        await client.PublishAsync(topic, """{"broken":""");
        await client.PublishAsync(topic, """{"ok":2}""");

        var error = await flow.NextAsync("e");
        Assert.Equal("Failed to parse JSON string", ((JsObject)error["error"]!)["message"]);
        Assert.Equal("""{"broken":"""u8.ToArray(), error["payload"]);
        Assert.Equal(topic, error["topic"]);
        Assert.Equal(1.0, error["qos"]);
        var good = await flow.NextAsync("h", 2);
        Assert.Equal([1.0, 2.0], good.Select(m => ((JsObject)m["payload"]!)["ok"]));
    }

    [Fact]
    public async Task Parsed_json_output_reports_a_payload_that_is_not_utf8_as_an_invalid_json_string()
    {
        var topic = Mqtt.Topic("binjson");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", topic, "json", "1"), Mqtt.Helper("h"),
            """{"id":"c","type":"catch","scope":null,"wires":[["e"]]}""", Mqtt.Helper("e")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, new byte[] { 0xff, 0xfe });
        var error = await flow.NextAsync("e");
        Assert.Equal("Invalid JSON string", ((JsObject)error["error"]!)["message"]);
        Assert.Equal(new byte[] { 0xff, 0xfe }, error["payload"]);
    }
}
