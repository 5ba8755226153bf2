using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>Buffering while the broker is away, against the embedded broker (started late, on a port chosen up front).</summary>
public sealed class OfflineBufferTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<EmbeddedBroker> StartBrokerAsync(int port)
    {
        var broker = new EmbeddedBroker();
        await broker.StartAsync(new RuntimeSettings(new JsObject { ["mqttBroker"] = new JsObject { ["enabled"] = true, ["port"] = (double)port } }));
        return broker;
    }

    private static string S(int i) => i.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Qos0_messages_wait_in_a_bounded_buffer_dropping_the_oldest_and_are_sent_in_order_on_connect()
    {
        var port = FreePort();
        var topic = Mqtt.Topic("q0");
        await using var flow = await Mqtt.StartAsync(
            Mqtt.Flow(Mqtt.Broker(port), Mqtt.In("in", topic, "utf8", "0"), Mqtt.Out("out", topic, "0"), Mqtt.Helper("h")),
            new JsObject { ["mqttReconnectTime"] = 300.0, ["mqttBufferSize"] = 5.0 });
        await flow.StatusAsync("out", s => s.Fill == "red");
        for (var i = 0; i < 8; i++) flow.Send("out", new JsObject { ["payload"] = S(i) });
        var status = await flow.StatusAsync("out", s => s.Text?.Contains("(5 buffered, 3 dropped)", StringComparison.Ordinal) == true);
        Assert.Equal("red", status.Fill);

        await using var broker = await StartBrokerAsync(port);
        var received = await flow.NextAsync("h", 5);
        Assert.Equal(["3", "4", "5", "6", "7"], received.Select(m => m["payload"]));
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(200)));
        await flow.ConnectedAsync("out");
        Assert.Contains(flow.Logs, l => l.Message.Contains("3 QoS 0 message(s) were dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Qos1_messages_go_to_the_disk_spool_while_disconnected_and_all_arrive_in_order()
    {
        var port = FreePort();
        var topic = Mqtt.Topic("q1");
        await using var flow = await Mqtt.StartAsync(
            Mqtt.Flow(Mqtt.Broker(port), Mqtt.In("in", topic, "utf8", "1"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")),
            new JsObject { ["mqttReconnectTime"] = 300.0, ["mqttBufferSize"] = 2.0 });
        await flow.StatusAsync("out", s => s.Fill == "red");
        for (var i = 0; i < 50; i++) flow.Send("out", new JsObject { ["payload"] = S(i) });
        await flow.StatusAsync("out", s => s.Text?.EndsWith("(50 buffered)", StringComparison.Ordinal) == true);
        Assert.True(File.Exists(Path.Combine(flow.UserDir, "mqtt-spool.db")));

        await using var broker = await StartBrokerAsync(port);
        var received = await flow.NextAsync("h", 50);
        Assert.Equal(Enumerable.Range(0, 50).Select(S), received.Select(m => (string)m["payload"]!));
    }

    [Fact]
    public async Task Spooled_qos1_messages_survive_a_restart_of_the_runtime()
    {
        var port = FreePort();
        var topic = Mqtt.Topic("restart");
        var userDir = Directory.CreateTempSubdirectory("flowengine-spool-").FullName;
        try
        {
            var settings = new JsObject { ["mqttReconnectTime"] = 300.0, ["userDir"] = userDir };
            await using (var first = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(port), Mqtt.Out("out", topic, "2")), settings))
            {
                await first.StatusAsync("out", s => s.Fill == "red");
                for (var i = 0; i < 5; i++) first.Send("out", new JsObject { ["payload"] = S(i) });
                await first.StatusAsync("out", s => s.Text?.EndsWith("(5 buffered)", StringComparison.Ordinal) == true);
            }
            await using var broker = await StartBrokerAsync(port);
            await using var second = await Mqtt.StartAsync(Mqtt.Flow(Mqtt.Broker(port), Mqtt.In("in", topic, "utf8", "2"), Mqtt.Out("out", topic, "2"), Mqtt.Helper("h")), settings);
            var received = await second.NextAsync("h", 5);
            Assert.Equal(["0", "1", "2", "3", "4"], received.Select(m => m["payload"]));
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }
}
