using System.Collections.Concurrent;
using FlowEngine.Nodes.Mqtt.Client;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>
/// Received messages are delivered and acknowledged on the connection's receive loop (DirectReceiveAdapter), not
/// through MQTTnet's queue: acknowledgements, order and the answers to a flow's publishes must stay right.
/// </summary>
[Collection(MosquittoCollection.Name)]
public sealed class DirectReceiveTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task QoS_1_and_2_messages_are_acknowledged_so_more_than_the_brokers_in_flight_window_arrive()
    {
        // mosquitto sends at most 20 unacknowledged QoS 1/2 messages to a client (max_inflight_messages): without the
        // PUBACK and PUBREC the receive loop now owes, delivery would stop at 20.
        const int perLevel = 200;
        var topic = Mqtt.Topic("acks");
        await using var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "acks");
        var received = new ConcurrentBag<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Null(await connection.SubscribeAsync(topic + "/#", new SubscriptionOptions(2), "test", m =>
        {
            received.Add(m.Topic + " " + m.Text());
            if (received.Count == 2 * perLevel) all.TrySetResult();
        }));

        await using (var publisher = await ExternalClient.ConnectAsync(mosquitto.PlainPort))
        {
            for (var i = 0; i < perLevel; i++)
            {
                await publisher.PublishAsync(topic + "/one", i.ToString(), qos: 1);
                await publisher.PublishAsync(topic + "/two", i.ToString(), qos: 2);
            }
        }

        var finished = await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == all.Task, $"{received.Count} of {2 * perLevel} QoS 1/2 messages arrived");
        Assert.Equal(2 * perLevel, received.Distinct().Count());
    }

    [Fact]
    public async Task Messages_of_each_QoS_on_one_topic_are_delivered_in_the_order_they_were_sent()
    {
        // MQTT orders messages per topic and QoS; across QoS levels the broker itself may reorder (mosquitto holds
        // QoS 1/2 messages back behind its in-flight window while QoS 0 ones go on).
        const int count = 600;
        var topic = Mqtt.Topic("order");
        await using var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "order");
        var received = new ConcurrentQueue<int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Null(await connection.SubscribeAsync(topic, new SubscriptionOptions(2), "test", m =>
        {
            received.Enqueue(int.Parse(m.Text()));
            if (received.Count == count) all.TrySetResult();
        }));

        await using (var publisher = await ExternalClient.ConnectAsync(mosquitto.PlainPort))
        {
            for (var i = 0; i < count; i++) await publisher.PublishAsync(topic, i.ToString(), qos: i % 3);
        }

        var finished = await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == all.Task, $"{received.Count} of {count} arrived");
        for (var qos = 0; qos < 3; qos++)
        {
            var level = qos;
            Assert.Equal(Enumerable.Range(0, count).Where(i => i % 3 == level), received.Where(i => i % 3 == level));
        }
    }

    [Fact]
    public async Task Publishes_made_while_handling_received_messages_all_reach_the_broker()
    {
        // What a flow does on the receive loop: each message received causes a publish, held in the receive loop's
        // send batch and sent when the read is used up.
        const int count = 5_000;
        var topic = Mqtt.Topic("echo");
        await using var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "echo");
        var handled = 0;
        Assert.Null(await connection.SubscribeAsync(topic + "/in", new SubscriptionOptions(0), "test", m =>
        {
            Interlocked.Increment(ref handled);
            connection.Publish(new OutgoingMessage { Topic = topic + "/out", Payload = System.Buffers.BuffersExtensions.ToArray(m.Payload) });
        }));

        await using var watcher = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await watcher.SubscribeAsync(topic + "/out", qos: 0);
        await using (var publisher = await ExternalClient.ConnectAsync(mosquitto.PlainPort))
        {
            for (var i = 0; i < count; i++) await publisher.PublishAsync(topic + "/in", i.ToString(), qos: 0);
            // Acknowledged only once the broker has taken every message before it: the publisher's QoS 0 tail is
            // otherwise lost when it disconnects at once on a loaded machine.
            await publisher.PublishAsync(topic + "/done", "done", qos: 1);
        }

        var echoed = new HashSet<int>();
        try
        {
            while (echoed.Count < count) echoed.Add(int.Parse((await watcher.NextAsync(TimeSpan.FromSeconds(30))).Text()));
        }
        catch (OperationCanceledException)
        {
        }
        Assert.True(echoed.Count == count, $"{echoed.Count} of {count} echoes arrived, {Volatile.Read(ref handled)} messages handled");
    }
}
