using FlowEngine.Core.Values;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>examples/node-red-export, a multi-tab Node-RED export, loaded by the real program.</summary>
public sealed class NodeRedExportExampleTests
{
    [Fact]
    public async Task The_program_gives_the_export_back_unchanged_and_its_status_api_reports_the_alert_from_the_other_tabs()
    {
        await using var host = await ExampleHost.StartAsync("node-red-export");

        var original = Assert.IsType<List<object?>>(JsJson.Parse(await File.ReadAllTextAsync(Path.Combine(ExampleHost.ExampleDirectory("node-red-export"), "flows.json"))));
        var served = Assert.IsType<List<object?>>(await host.GetJsonAsync("flows"));
        Assert.Equal(original.Count, served.Count);
        var servedById = served.Cast<JsObject>().ToDictionary(n => (string)n["id"]!);
        foreach (var node in original.Cast<JsObject>())
        {
            var id = (string)node["id"]!;
            Assert.True(servedById.TryGetValue(id, out var back), $"node {id} ({node["type"]}) is missing from GET /flows");
            Assert.True(JsValue.DeepEquals(node, back), $"node {id} ({node["type"]}) changed:\nfile:   {JsJson.Serialize(node)}\nserved: {JsJson.Serialize(back)}");
        }

        // 21.5 injected at start, ×10 in the subflow (instance FACTOR), above the Line 1 tab's LIMIT 75, linked to
        // the Alerts tab, kept in global context and read back by the Status API tab's http in endpoint.
        var status = await host.WaitForAsync("the alert in GET /api/line1/status", async () =>
            await host.GetJsonAsync("api/line1/status") is JsObject { } s && s.Get("lastAlert") is string ? s : null);
        Assert.Equal(215.0, status["last"]);
        Assert.Equal("Too hot on line-1: 215", status["lastAlert"]);
        Assert.Equal(1.0, status["alerts"]);
    }
}
