using System.Diagnostics;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>Small helpers for flows with OPC UA nodes (real clock: the peer is a real server).</summary>
internal static class OpcUaFlows
{
    public static TestFlowOptions Options(string? userDir = null) => new()
    {
        Register = OpcUaNodes.Register,
        Settings = userDir is null ? null : new JsObject { ["userDir"] = userDir },
    };

    /// <summary>Nodes on tab t1 plus a catch node "c" wired to helper "errors".</summary>
    public static Task<TestFlow> StartAsync(string nodes, string? userDir = null) =>
        TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"OPC UA"},
             {"id":"c","type":"catch","z":"t1","wires":[["errors"]]},
             {"id":"errors","type":"helper","z":"t1","wires":[]},
             {{nodes}}]
            """, Options(userDir));

    /// <summary>An opcua-endpoint config node "ep"; extra is more JSON properties (",\"securityMode\":\"Sign\"").</summary>
    public static string Endpoint(string url, string extra = "") =>
        $$"""{"id":"ep","type":"opcua-endpoint","endpoint":"{{url}}","reconnectDelay":300,"reconnectMaxDelay":2000{{extra}}}""";

    public static string UserLogin(string user, string password) =>
        $$""","authentication":"username","credentials":{"user":"{{user}}","password":"{{password}}"}""";

    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 20000)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.ElapsedMilliseconds > timeoutMs) return false;
            await Task.Delay(25);
        }
        return true;
    }

    public static string StatusText(TestFlow flow, string nodeId) =>
        string.Join(" | ", flow.Statuses.Where(s => s.Node.Id == nodeId).Select(s => s.Status.Text));

    public static string ErrorText(JsObject caught) => (caught["error"] as JsObject)?["message"] as string ?? "";
}
