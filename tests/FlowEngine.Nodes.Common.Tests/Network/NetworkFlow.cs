using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Network;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Common.Tests.Network;

/// <summary>Host services for node tests: an in-memory http in route table instead of a web server.</summary>
internal sealed class TestHostServices(HttpNodeRouteTable routes) : IServiceProvider
{
    public HttpNodeRouteTable Routes { get; } = routes;

    public object? GetService(Type serviceType) => serviceType == typeof(IHttpNodeRouter) ? Routes : null;
}

/// <summary>Starting test flows for network nodes, and small helpers shared by their tests.</summary>
internal static class NetworkFlow
{
    public static async Task<(TestFlow Flow, HttpNodeRouteTable Routes)> StartWithRoutesAsync(string flowJson, bool fakeClock = false, string? settings = null)
    {
        var routes = new HttpNodeRouteTable();
        var flow = await TestFlow.StartAsync(flowJson, new TestFlowOptions
        {
            FakeClock = fakeClock,
            HostServices = new TestHostServices(routes),
            Settings = settings is null ? null : (JsObject)JsJson.Parse(settings)!,
        });
        return (flow, routes);
    }

    /// <summary>A flow with one node "n" (the given properties) wired to helper "h0", and a catch node wired to "err".</summary>
    public static Task<TestFlow> StartAsync(string nodeProperties, string wires = """[["h0"]]""", string extraNodes = "", string? settings = null, bool fakeClock = true) =>
        TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","z":"t1","x":1,"y":1,{{nodeProperties}},"wires":{{wires}}},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h1","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h2","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"c","type":"catch","z":"t1","x":1,"y":1,"scope":null,"uncaught":false,"wires":[["err"]]},
             {"id":"err","type":"helper","z":"t1","x":1,"y":1,"wires":[]}
             {{extraNodes}}]
            """, new TestFlowOptions { FakeClock = fakeClock, Settings = settings is null ? null : (JsObject)JsJson.Parse(settings)! });

    /// <summary>Waits until a node logged a message at the level (mailboxes run on other threads).</summary>
    public static async Task<NodeLogEvent> LogAsync(this TestFlow flow, LogLevel level, string nodeId = "n")
    {
        for (var i = 0; i < 400; i++)
        {
            var found = flow.Logs.FirstOrDefault(l => l.Level == level && l.Node?.Id == nodeId);
            if (found is not null) return found;
            await Task.Delay(5);
        }
        throw new TimeoutException($"node {nodeId} logged nothing at {level}; logs: {string.Join("; ", flow.Logs.Select(l => l.Message))}");
    }

    /// <summary>Waits until a node shows a status whose text contains the given text.</summary>
    public static async Task<NodeStatusEvent> StatusAsync(this TestFlow flow, string nodeId, string textContains)
    {
        for (var i = 0; i < 1000; i++)
        {
            var found = flow.Statuses.LastOrDefault(s => s.Node?.Id == nodeId && (s.Status.Text ?? "").Contains(textContains, StringComparison.Ordinal));
            if (found is not null) return found;
            await Task.Delay(5);
        }
        throw new TimeoutException($"node {nodeId} showed no status with \"{textContains}\"; statuses: {string.Join("; ", flow.Statuses.Select(s => s.Node?.Id + ":" + s.Status.Text))}");
    }

    public static string ToJson(object? value) => JsJson.Serialize(value);
}
