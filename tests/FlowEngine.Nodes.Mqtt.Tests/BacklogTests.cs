using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class BacklogTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Client_connections_ask_for_socket_buffers_far_larger_than_one_loopback_segment()
    {
        // MQTTnet's default (8 KB) also turns off the kernel's receive-buffer autotuning; under a backlog of small
        // messages the connection then crawled at ~30 KB/s with the CPU idle (side-by-side benchmark, json → filter flow).
        await using var connection = new MqttConnection(new MqttConnectionSettings { Host = "127.0.0.1", Port = mosquitto.PlainPort }, TimeProvider.System);
        var options = connection.ClientOptions;
        var tcp = Assert.IsType<MqttClientTcpOptions>(options.ChannelOptions);
        Assert.True(tcp.BufferSize >= 256 * 1024, $"socket buffer size {tcp.BufferSize}");
        Assert.NotNull(tcp.StreamProvider);
        Assert.False(options.AllowPacketFragmentation);
    }

    /// <summary>
    /// Regression: MQTTnet's default 8 KB socket buffers made a backlog queued at the broker (the client busy for a
    /// moment) trickle in at about 30 KB/s with the CPU idle. Here 100,000 small messages queue at the
    /// broker while the receive loop is held, then must all arrive; the generous limit only fails on a stall.
    /// </summary>
    [Fact]
    public async Task A_backlog_queued_at_the_broker_while_the_client_was_busy_arrives_without_stalling()
    {
        const int count = 100_000;
        var topic = Mqtt.Topic("backlog");
        var payload = new byte[64];
        Random.Shared.NextBytes(payload);

        await using var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "backlog");

        using var busy = new ManualResetEventSlim(false);
        var received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refused = await connection.SubscribeAsync(topic + "/#", new SubscriptionOptions(0), "test", _ =>
        {
            // The first message holds the receive loop, as a slow flow would, so the rest queues at the broker.
            var n = Interlocked.Increment(ref received);
            if (n == 1) busy.Wait(TimeSpan.FromSeconds(60));
            // Traffic the other way on the same socket, as a flow publishing part of what it receives.
            if (n % 3 == 0) connection.Publish(new OutgoingMessage { Topic = topic + "-out", Payload = payload });
            if (n == count) all.TrySetResult();
        }, CancellationToken.None);
        Assert.Null(refused);

        await using (var publisher = await ExternalClient.ConnectAsync(mosquitto.PlainPort))
        {
            for (var i = 0; i < count; i++) await publisher.PublishAsync($"{topic}/{i % 1000}", payload, qos: 0);
            // A QoS 1 message after them: its acknowledgement says the broker has taken every message before it.
            await publisher.PublishAsync(topic + "-done", "done", qos: 1);
        }
        busy.Set();

        var finished = await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(45)));
        Assert.True(finished == all.Task, $"only {Volatile.Read(ref received)} of {count} messages arrived within 45 s of the client becoming free");
    }

    [Fact]
    public async Task Disposing_a_connection_while_it_is_publishing_does_not_throw()
    {
        // Regression: the send loop let MQTTnet's "not connected", and once a NullReferenceException, out when the
        // connection went away under a publish during dispose (both seen in CI), which failed the broker node's dispose.
        var topic = Mqtt.Topic("dispose-busy");
        for (var round = 0; round < 10; round++)
        {
            var connection = await Mqtt.ConnectionAsync(mosquitto.PlainPort, "dispose");
            for (var i = 0; i < 20_000; i++) connection.Publish(new OutgoingMessage { Topic = topic, Payload = new byte[64] });
            await Task.Delay(round);
            await connection.DisposeAsync();
        }
    }
}
