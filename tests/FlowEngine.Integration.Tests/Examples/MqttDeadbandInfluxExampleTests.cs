using FlowEngine.TestKit.Peers;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>
/// examples/mqtt-deadband-influx run by the real program with its settings.json (embedded broker, here on a free
/// port) against a real influxd: only values that moved more than the band reach InfluxDB, per topic.
/// </summary>
public sealed class MqttDeadbandInfluxExampleTests
{
    [Fact]
    public async Task Only_values_outside_the_deadband_of_their_topic_are_written_to_influxdb()
    {
        await using var influx = await InfluxPeer.StartAsync();
        await influx.CreateDatabaseAsync("plant");
        var brokerPort = ExampleHost.FreeTcpPort().ToString(CultureInfo.InvariantCulture);
        await using var host = await ExampleHost.StartAsync("mqtt-deadband-influx",
            new Dictionary<string, string> { ["MQTT_PORT"] = brokerPort, ["INFLUX_URL"] = influx.Url },
            ["-s", Path.Combine(ExampleHost.ExampleDirectory("mqtt-deadband-influx"), "settings.json"), "-D", "mqttBroker.port=" + brokerPort]);

        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", int.Parse(brokerPort, CultureInfo.InvariantCulture))
            .WithClientId("example-test").Build());

        // A retained reading reaches the flow even if its subscription is made a moment after /readyz said connected;
        // once it is in InfluxDB the subscription is certainly in place for the readings that follow.
        await PublishAsync(client, "plant/test/probe", 1, retain: true);
        await host.WaitForAsync("the retained probe in InfluxDB", async () =>
            (await influx.RowsAsync("SELECT value FROM process WHERE sensor = 'probe'", "plant")).Count == 1 ? "" : null);

        // TT-101: 20.0 passes (first), 20.2 and 20.4 stay within 0.5 of it, 20.6 passes, 20.7 stays within 0.5 of 20.6.
        // PT-201 has its own reference: 5.3 is dropped although it is far from TT-101's values; 6.0 passes.
        double[] temperatures = [20.0, 20.2, 20.4, 20.6, 20.7];
        double[] pressures = [5.0, 5.3, 6.0];
        for (var i = 0; i < temperatures.Length; i++)
        {
            await PublishAsync(client, "plant/line1/TT-101", temperatures[i]);
            if (i < pressures.Length) await PublishAsync(client, "plant/line1/PT-201", pressures[i]);
        }
        // Readings are handled in order: once this one is stored, every earlier one has been written or dropped.
        await PublishAsync(client, "plant/line1/TT-101", 30.0);
        await host.WaitForAsync("the last reading in InfluxDB", async () =>
            (await influx.RowsAsync("SELECT value FROM process WHERE sensor = 'TT-101' AND value = 30", "plant")).Count == 1 ? "" : null);

        Assert.Equal(new[] { 20.0, 20.6, 30.0 }, await ValuesAsync(influx, "TT-101"));
        Assert.Equal(new[] { 5.0, 6.0 }, await ValuesAsync(influx, "PT-201"));
        var tags = await influx.RowsAsync("SELECT value, line FROM process WHERE sensor = 'PT-201'", "plant");
        Assert.All(tags, row => Assert.Equal("line1", row["line"].GetString()));
    }

    private static async Task<double[]> ValuesAsync(InfluxPeer influx, string sensor) =>
        (await influx.RowsAsync($"SELECT value FROM process WHERE sensor = '{sensor}'", "plant")).Select(row => row["value"].GetDouble()).ToArray();

    private static Task PublishAsync(IMqttClient client, string topic, double value, bool retain = false) =>
        client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(string.Create(CultureInfo.InvariantCulture, $$"""{"value":{{value}}}"""))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build());
}
