using System.Collections.Concurrent;
using System.Text;
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

    [Fact]
    public async Task Publishes_read_in_place_arrive_with_the_topic_payload_qos_and_retain_they_were_sent_with()
    {
        // Most packets are read straight from the receive buffer; one larger than the buffer, and any cut by the end
        // of a receive, are read by MQTTnet. Each must arrive the same either way, in order.
        var topic = Mqtt.Topic("inplace");
        var expected = new List<(string Topic, byte[] Payload, int Qos, bool Retain)>();
        await using var publisher = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        await publisher.PublishAsync(topic + "/retained/ü", "kept", qos: 1, retain: true);
        expected.Add((topic + "/retained/ü", "kept"u8.ToArray(), 1, true));

        await using var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "inplace");
        var received = new ConcurrentQueue<(string Topic, byte[] Payload, int Qos, bool Retain)>();
        Assert.Null(await connection.SubscribeAsync(topic + "/#", new SubscriptionOptions(2), "test", m =>
            received.Enqueue((m.Topic, System.Buffers.BuffersExtensions.ToArray(m.Payload), (int)m.QualityOfServiceLevel, m.Retain))));
        await WaitForAsync(() => received.Count == 1);

        var large = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray();
        for (var i = 0; i < 600; i++)
        {
            var (t, payload, qos) = i switch
            {
                300 => (topic + "/large", large, 1),
                301 => (topic + "/empty", Array.Empty<byte>(), 0),
                _ => (topic + "/n/" + (i % 7), Encoding.UTF8.GetBytes("{\"i\":" + i + "}"), i % 3 == 0 ? 1 : 0),
            };
            await publisher.PublishAsync(t, payload, qos);
            expected.Add((t, payload, qos, false));
        }
        await WaitForAsync(() => received.Count >= expected.Count);

        Assert.Equal(expected.Count, received.Count);
        // In order per QoS level (across levels the broker may reorder, see above).
        for (var qos = 0; qos < 2; qos++)
        {
            var level = qos;
            var sent = expected.Where(m => m.Qos == level).ToList();
            var arrived = received.Where(m => m.Qos == level).ToList();
            Assert.Equal(sent.Count, arrived.Count);
            for (var i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i].Topic, arrived[i].Topic);
                Assert.True(sent[i].Payload.AsSpan().SequenceEqual(arrived[i].Payload), $"payload of QoS {level} message {i} differs");
                Assert.Equal(sent[i].Retain, arrived[i].Retain);
            }
        }
        var inPlace = connection.MessagesReadInPlace;
        Assert.True(inPlace > expected.Count / 2 && inPlace < expected.Count, $"{inPlace} of {expected.Count} read in place");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}
