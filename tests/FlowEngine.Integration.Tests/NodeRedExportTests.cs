using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Integration.Tests;

/// <summary>A multi-tab Node-RED export (subflow with env and status port, groups, link nodes across tabs, config nodes) runs as it did in Node-RED.</summary>
public sealed class NodeRedExportTests
{
    private static string Export => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "nodered-export.json"));

    [Fact]
    public async Task An_injected_reading_goes_through_the_subflow_and_across_tabs_to_the_alert_debug()
    {
        await using var flow = await TestFlow.StartAsync(Export);
        Assert.True(await flow.Runtime.InjectAsync("aa00000000000001"));

        var scaled = await WaitForDebugAsync(flow, "aa00000000000003");
        var msg = (JsObject)scaled.Value!;
        Assert.Equal(215.0, msg["payload"]);
        Assert.Equal("line-1", msg["line"]);
        Assert.Equal("line1/temp", msg["topic"]);

        var alert = await WaitForDebugAsync(flow, "bb00000000000003");
        Assert.Equal("Too hot on line-1: 215", alert.Value);
        Assert.Contains(flow.Statuses, s => s.Node.Id == "aa00000000000002" && s.Status.Text == "scaled");
    }

    [Fact]
    public async Task Nodes_of_types_not_installed_are_named_and_everything_else_runs()
    {
        await using var flow = await TestFlow.StartAsync(Export);
        Assert.Equal(["mqtt in", "mqtt-broker"], flow.Runtime.MissingTypes.Order().ToArray());
        Assert.NotNull(flow.Runtime.FindNode("bb00000000000002"));
        Assert.Null(flow.Runtime.FindNode("aa00000000000008")); // disabled in the export
    }

    internal static async Task<FlowEngine.Core.Runtime.DebugEvent> WaitForDebugAsync(TestFlow flow, string nodeId,
        Func<FlowEngine.Core.Runtime.DebugEvent, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + TestFlow.DefaultTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var found = flow.DebugMessages.FirstOrDefault(d => d.Node.Id == nodeId && (match is null || match(d)));
            if (found is not null) return found;
            await Task.Delay(20);
        }
        throw new TimeoutException($"debug node {nodeId} showed nothing; logs: {string.Join("; ", flow.Logs.Select(l => l.Message))}");
    }
}
