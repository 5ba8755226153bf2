using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class DynamicSubscriptionTests(MosquittoFixture mosquitto)
{
    private static string DynamicIn(string broker = "b1") =>
        $$"""{"id":"in","type":"mqtt in","topic":"","qos":"2","datatype":"utf8","broker":"{{broker}}","inputs":1,"wires":[["h"]]}""";

    // A complete node scoped to "in" tells the test when an action is done.
    private const string Complete = """{"id":"done","type":"complete","scope":["in"],"wires":[["d"]]}""";

    [Fact]
    public async Task Subscribe_action_starts_delivery_and_unsubscribe_stops_it()
    {
        var topic = Mqtt.Topic("dyn");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(), Complete, Mqtt.Helper("h"), Mqtt.Helper("d")));
        await flow.ConnectedAsync("in");
        flow.Send("in", new JsObject { ["action"] = "subscribe", ["topic"] = topic });
        var done = await flow.NextAsync("d");
        var subs = Assert.IsType<List<object?>>(done["subscriptions"]);
        Assert.Equal(topic, ((JsObject)subs[0]!)["topic"]);
        Assert.Equal(2.0, ((JsObject)subs[0]!)["qos"]);

        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, "first");
        Assert.Equal("first", (await flow.NextAsync("h"))["payload"]);

        flow.Send("in", new JsObject { ["action"] = "unsubscribe", ["topic"] = topic });
        await flow.NextAsync("d");
        await client.PublishAsync(topic, "second");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(400)));
    }

    [Fact]
    public async Task Subscribe_action_accepts_objects_with_their_own_datatype_and_get_subscriptions_lists_them()
    {
        var a = Mqtt.Topic("a");
        var b = Mqtt.Topic("b");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(), Complete, Mqtt.Helper("h"), Mqtt.Helper("d")));
        await flow.ConnectedAsync("in");
        flow.Send("in", new JsObject
        {
            ["action"] = "subscribe",
            ["topic"] = new List<object?> { a, new JsObject { ["topic"] = b, ["qos"] = 1.0, ["datatype"] = "json" } },
        });
        await flow.NextAsync("d");
        flow.Send("in", """{"action":"getSubscriptions"}""");
        var list = await flow.NextAsync("h");
        Assert.Equal("subscriptions", list["topic"]);
        var payload = Assert.IsType<List<object?>>(list["payload"]);
        Assert.Equal([a, b], payload.Select(p => ((JsObject)p!)["topic"]));
        Assert.Equal(1.0, ((JsObject)payload[1]!)["qos"]);

        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(b, """{"x":1}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(1.0, ((JsObject)msg["payload"]!)["x"]);
        await client.PublishAsync(a, """{"x":1}""");
        Assert.Equal("""{"x":1}""", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Unsubscribe_with_topic_true_removes_every_dynamic_subscription()
    {
        var a = Mqtt.Topic("a");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(), Complete, Mqtt.Helper("h"), Mqtt.Helper("d")));
        await flow.ConnectedAsync("in");
        flow.Send("in", new JsObject { ["action"] = "subscribe", ["topic"] = new List<object?> { a, a + "/x" } });
        await flow.NextAsync("d");
        flow.Send("in", new JsObject { ["action"] = "unsubscribe", ["topic"] = true });
        var done = await flow.NextAsync("d");
        Assert.Empty(Assert.IsType<List<object?>>(done["subscriptions"]));
    }

    [Fact]
    public async Task Disconnect_and_connect_actions_drive_the_shared_connection()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(), Complete, Mqtt.Helper("h"), Mqtt.Helper("d")));
        await flow.ConnectedAsync("in");
        flow.Send("in", """{"action":"disconnect"}""");
        await flow.NextAsync("d");
        var status = await flow.StatusAsync("in", s => s.Text?.StartsWith("disconnected", StringComparison.Ordinal) == true);
        Assert.Equal("red", status.Fill);
        Assert.Equal("ring", status.Shape);
        Assert.Equal("disconnected", status.Text);
        flow.Send("in", """{"action":"connect"}""");
        await flow.NextAsync("d");
        await flow.ConnectedAsync("in");
    }

    [Fact]
    public async Task An_unknown_action_is_an_error_with_node_red_text()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(),
            """{"id":"c","type":"catch","scope":null,"wires":[["e"]]}""", Mqtt.Helper("h"), Mqtt.Helper("e")));
        flow.Send("in", """{"action":"explode"}""");
        var error = await flow.NextAsync("e");
        Assert.Equal("Invalid action specified", ((JsObject)error["error"]!)["message"]);
    }

    [Fact]
    public async Task Connect_with_a_broker_object_while_connected_and_no_force_is_refused()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), DynamicIn(),
            """{"id":"c","type":"catch","scope":null,"wires":[["e"]]}""", Mqtt.Helper("h"), Mqtt.Helper("e")));
        await flow.ConnectedAsync("in");
        flow.Send("in", new JsObject { ["action"] = "connect", ["broker"] = new JsObject { ["port"] = (double)mosquitto.PlainPort } });
        var error = await flow.NextAsync("e");
        Assert.Equal("Disconnect from broker before connecting", ((JsObject)error["error"]!)["message"]);
    }
}
