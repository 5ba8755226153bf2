using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt;
using FlowEngine.TestKit;

namespace FlowEngine.Integration.Tests;

/// <summary>Each example under examples/ loads and does what its README says.</summary>
public sealed class ExampleFlowTests
{
    private static string Example(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", name, "flows.json"));

    [Fact]
    public async Task Quick_start_makes_readings_converts_them_and_raises_alerts_above_the_limit()
    {
        // The example's settings turn on the embedded broker; here it listens on a free port instead of 1883.
        await using var broker = new EmbeddedBroker();
        var brokerSettings = new RuntimeSettings(new JsObject { ["mqttBroker"] = new JsObject { ["enabled"] = true, ["host"] = "127.0.0.1", ["port"] = 0.0 } });
        Assert.True(await broker.StartAsync(brokerSettings));
        var flows = Example("quick-start").Replace("\"port\": \"1883\"", $"\"port\": \"{broker.Port}\"", StringComparison.Ordinal);
        await using var flow = await TestFlow.StartAsync(flows, new TestFlowOptions { Register = MqttNodes.Register });
        Assert.Empty(flow.Runtime.MissingTypes);
        var reading = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d01");
        var msg = (JsObject)reading.Value!;
        var celsius = (double)msg["payload"]!;
        Assert.InRange(celsius, 20, 28);
        Assert.Equal(Math.Round(celsius * 9 / 5 + 32, 1), (double)msg["fahrenheit"]!, 6);
        Assert.Equal("line1/oven/temperature", msg["topic"]);

        // Force a reading above the limit through the same path.
        flow.Send("qs00000000000ch1", """{"payload":30,"topic":"line1/oven/temperature"}""");
        var alert = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d02", d => d.Value as string == "Oven too hot: 30 °C");
        Assert.NotNull(alert);

        // Every reading also goes through the embedded broker and back in through mqtt in.
        var viaBroker = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d03",
            d => d.Value is JsObject m && m["topic"] as string == "line1/oven/temperature");
        var received = (JsObject)viaBroker.Value!;
        Assert.Equal("line1/oven/temperature", received["topic"]);
        Assert.IsType<double>(received["payload"]);
    }
}
