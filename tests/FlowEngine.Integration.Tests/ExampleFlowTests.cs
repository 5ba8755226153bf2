using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Integration.Tests;

/// <summary>Each example under examples/ loads and does what its README says.</summary>
public sealed class ExampleFlowTests
{
    private static string Example(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", name, "flows.json"));

    [Fact]
    public async Task Quick_start_makes_readings_converts_them_and_raises_alerts_above_the_limit()
    {
        await using var flow = await TestFlow.StartAsync(Example("quick-start"));
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
    }
}
