using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class SubscriptionTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Single_level_wildcard_matches_one_level_only()
    {
        var root = Mqtt.Topic("plus");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", root + "/+/temp", "utf8"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(root + "/a/b/temp", "deep");
        await client.PublishAsync(root + "/a/temp", "one");
        var msg = await flow.NextAsync("h");
        Assert.Equal("one", msg["payload"]);
        Assert.Equal(root + "/a/temp", msg["topic"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task Multi_level_wildcard_matches_the_parent_and_every_level_below()
    {
        var root = Mqtt.Topic("hash");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", root + "/#", "utf8"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(root, "parent");
        await client.PublishAsync(root + "/x", "child");
        await client.PublishAsync(root + "/x/y/z", "grandchild");
        var messages = await flow.NextAsync("h", 3);
        Assert.Equal(["parent", "child", "grandchild"], messages.Select(m => m["payload"]));
    }

    [Fact]
    public async Task Two_nodes_with_overlapping_filters_on_one_connection_each_get_the_message_once()
    {
        var root = Mqtt.Topic("overlap");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort),
            Mqtt.In("in1", root + "/#", "utf8", wires: "h1"), Mqtt.In("in2", root + "/a", "utf8", wires: "h2"),
            Mqtt.Helper("h1"), Mqtt.Helper("h2")));
        await flow.ConnectedAsync("in1");
        await flow.ConnectedAsync("in2");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(root + "/a", "m");
        Assert.Equal("m", (await flow.NextAsync("h1"))["payload"]);
        Assert.Equal("m", (await flow.NextAsync("h2"))["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h1", TimeSpan.FromMilliseconds(300)));
        Assert.True(await flow.NothingArrivesAsync("h2", TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public async Task Retained_message_from_mqtt_out_is_delivered_to_a_later_subscriber_with_retain_true()
    {
        var topic = Mqtt.Topic("retained");
        await using (var publisher = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.Out("out", topic, "1", "true"))))
        {
            await publisher.ConnectedAsync("out");
            publisher.Send("out", """{"payload":"kept"}""");
            await using var check = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
            await check.SubscribeAsync(topic);
            Assert.Equal("kept", (await check.NextAsync()).Text());
        }
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", topic, "utf8"), Mqtt.Helper("h")));
        var msg = await flow.NextAsync("h");
        Assert.Equal("kept", msg["payload"]);
        Assert.Equal(true, msg["retain"]);
        await using var cleaner = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await cleaner.PublishAsync(topic, [], 1, retain: true);
    }

    [Fact]
    public async Task Retain_handling_2_does_not_send_retained_messages_on_subscribe()
    {
        var topic = Mqtt.Topic("rh2");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await client.PublishAsync(topic, "old", 1, retain: true);
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker5(mosquitto.PlainPort),
            Mqtt.In("in", topic, "utf8"), Mqtt.Helper("h")).Replace("\"rh\":0", "\"rh\":2"));
        await flow.ConnectedAsync("in");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(400)));
        await client.PublishAsync(topic, "new");
        Assert.Equal("new", (await flow.NextAsync("h"))["payload"]);
        await client.PublishAsync(topic, [], 1, retain: true);
    }

    [Fact]
    public async Task Shared_subscription_gives_each_message_to_one_member_of_the_group()
    {
        var topic = Mqtt.Topic("shared");
        var filter = "$share/grp/" + topic;
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker5(mosquitto.PlainPort, "b1"), Mqtt.Broker5(mosquitto.PlainPort, "b2"),
            Mqtt.In("in1", filter, "utf8", broker: "b1", wires: "h"), Mqtt.In("in2", filter, "utf8", broker: "b2", wires: "h"),
            Mqtt.Helper("h")));
        await flow.ConnectedAsync("in1");
        await flow.ConnectedAsync("in2");
        await using var client = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        for (var i = 0; i < 10; i++) await client.PublishAsync(topic, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var received = await flow.NextAsync("h", 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), received.Select(m => (string)m["payload"]!).Order());
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(300)));
        Assert.All(received, m => Assert.Equal(topic, m["topic"]));
    }

    [Fact]
    public async Task An_invalid_topic_filter_refuses_the_deploy_naming_the_node()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", "a/#/b"), Mqtt.Helper("h"))));
        Assert.Contains("Invalid topic specified", ex.Message, StringComparison.Ordinal);
        Assert.Contains("in", ex.Message, StringComparison.Ordinal);
    }
}
