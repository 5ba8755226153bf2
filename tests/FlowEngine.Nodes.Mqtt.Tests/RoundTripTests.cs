using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class RoundTripTests(MosquittoFixture mosquitto)
{
    private async Task<JsObject> RoundTripAsync(string datatype, object? payloadJsonValue, string qos = "1", int version = 4)
    {
        var topic = Mqtt.Topic("rt");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.PlainPort, version: version),
            Mqtt.In("in", topic, datatype, qos),
            Mqtt.Out("out", topic, qos),
            Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        flow.Send("out", new JsObject { ["payload"] = payloadJsonValue });
        return await flow.NextAsync("h");
    }

    [Fact]
    public async Task Auto_detect_output_parses_a_json_object_published_by_mqtt_out()
    {
        var msg = await RoundTripAsync("auto-detect", new JsObject { ["a"] = 1.0, ["b"] = "x" });
        var payload = Assert.IsType<JsObject>(msg["payload"]);
        Assert.Equal(1.0, payload["a"]);
        Assert.Equal("x", payload["b"]);
        Assert.Equal(1.0, msg["qos"]);
        Assert.Equal(false, msg["retain"]);
    }

    [Fact]
    public async Task Auto_detect_output_turns_a_number_text_into_a_number()
    {
        var msg = await RoundTripAsync("auto-detect", 42.5);
        Assert.Equal(42.5, msg["payload"]);
    }

    [Fact]
    public async Task Auto_detect_output_keeps_plain_text_as_a_string()
    {
        var msg = await RoundTripAsync("auto-detect", "hello world");
        Assert.Equal("hello world", msg["payload"]);
    }

    [Fact]
    public async Task Auto_detect_output_gives_a_buffer_for_bytes_that_are_not_utf8()
    {
        var msg = await RoundTripAsync("auto-detect", new byte[] { 0xff, 0xfe, 0x00, 0x81 });
        Assert.Equal(new byte[] { 0xff, 0xfe, 0x00, 0x81 }, msg["payload"]);
    }

    [Fact]
    public async Task Legacy_auto_output_keeps_json_text_as_a_string()
    {
        var msg = await RoundTripAsync("auto", new JsObject { ["a"] = 1.0 });
        Assert.Equal("{\"a\":1}", msg["payload"]);
    }

    [Fact]
    public async Task String_output_gives_the_utf8_text()
    {
        var msg = await RoundTripAsync("utf8", "grüße 42");
        Assert.Equal("grüße 42", msg["payload"]);
    }

    [Fact]
    public async Task Buffer_output_gives_the_raw_bytes()
    {
        var msg = await RoundTripAsync("buffer", "abc");
        Assert.Equal(Encoding.UTF8.GetBytes("abc"), msg["payload"]);
    }

    [Fact]
    public async Task Parsed_json_output_gives_the_parsed_array()
    {
        var msg = await RoundTripAsync("json", new List<object?> { 1.0, "two", true });
        var list = Assert.IsType<List<object?>>(msg["payload"]);
        Assert.Equal([1.0, "two", true], list);
    }

    [Fact]
    public async Task Base64_output_gives_the_payload_in_base64()
    {
        var msg = await RoundTripAsync("base64", new byte[] { 1, 2, 3, 250 });
        Assert.Equal(Convert.ToBase64String([1, 2, 3, 250]), msg["payload"]);
    }

    [Fact]
    public async Task A_null_payload_is_published_as_an_empty_payload()
    {
        var msg = await RoundTripAsync("utf8", null);
        Assert.Equal("", msg["payload"]);
    }

    [Fact]
    public async Task A_boolean_payload_is_published_as_its_text()
    {
        var msg = await RoundTripAsync("utf8", true);
        Assert.Equal("true", msg["payload"]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("2")]
    public async Task Messages_arrive_with_the_qos_they_were_published_and_subscribed_with(string qos)
    {
        var msg = await RoundTripAsync("utf8", "q", qos);
        Assert.Equal(double.Parse(qos, System.Globalization.CultureInfo.InvariantCulture), msg["qos"]);
    }

    [Fact]
    public async Task Round_trip_works_over_mqtt_5_too()
    {
        var msg = await RoundTripAsync("auto-detect", new JsObject { ["v"] = 5.0 }, "2", version: 5);
        Assert.Equal(5.0, ((JsObject)msg["payload"]!)["v"]);
        Assert.Equal(2.0, msg["qos"]);
    }

    [Fact]
    public async Task A_local_broker_adds_the_topic_as_underscore_topic_like_node_red()
    {
        var msg = await RoundTripAsync("utf8", "x");
        Assert.Equal(msg["topic"], msg["_topic"]);
    }
}
