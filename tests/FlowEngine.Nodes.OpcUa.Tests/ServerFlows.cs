using System.Collections.Concurrent;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using FlowEngine.TestKit.Peers;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>Flows with an opcua-server "srv", an "opcua server out" node "out" and an "opcua server in" node "in" wired to helper "h".</summary>
internal static class ServerFlows
{
    public const string User = "operator";
    public const string Password = "pa55-word";

    /// <summary>The opcua-server config node; extra is more JSON properties.</summary>
    public static string Server(int port, string extra = "") =>
        $$"""{"id":"srv","type":"opcua-server","port":{{port}},"endpointPath":"/UA/Test","namespaceUri":"urn:flowengine:test","user":"{{User}}","credentials":{"password":"{{Password}}"}{{extra}}}""";

    public static string ServerNodes(string outExtra = "", string inExtra = "") => $$"""
        {"id":"out","type":"opcua server out","z":"t1","server":"srv","writable":true{{outExtra}},"wires":[]},
        {"id":"in","type":"opcua server in","z":"t1","server":"srv"{{inExtra}},"wires":[["h"]]},
        {"id":"h","type":"helper","z":"t1","wires":[]}
        """;

    public static string Url(int port) => $"opc.tcp://127.0.0.1:{port}/UA/Test";

    public static async Task<TestFlow> StartAsync(string nodes, string userDir, AuditRecorder? audit = null) =>
        await TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"OPC UA server"},
             {"id":"c","type":"catch","z":"t1","wires":[["errors"]]},
             {"id":"errors","type":"helper","z":"t1","wires":[]},
             {{nodes}}]
            """, new TestFlowOptions
        {
            Register = OpcUaNodes.Register,
            Settings = new JsObject { ["userDir"] = userDir },
            HostServices = audit,
        });

    public static int FreePort() => NpmPeers.FreePort();

    /// <summary>Sends values to "out" and waits until the node took them (its status names the last path).</summary>
    public static async Task PublishAsync(TestFlow flow, params (string Path, string PayloadJson)[] values)
    {
        // Only statuses set after these messages count (a redeployed flow still has the old ones in its history).
        var before = flow.Statuses.Count(s => s.Node.Id == "out");
        foreach (var (path, payload) in values) flow.Send("out", $$"""{"topic":"{{path}}","payload":{{payload}}}""");
        var last = values[^1].Path + " = ";
        Assert.True(await OpcUaFlows.EventuallyAsync(() => flow.Statuses.Where(s => s.Node.Id == "out").Skip(before).Any(s => s.Status.Text?.Contains(last, StringComparison.Ordinal) == true)),
            OpcUaFlows.StatusText(flow, "out"));
    }
}

internal sealed class AuditRecorder : IAuditLog, IServiceProvider
{
    public ConcurrentQueue<(string Action, string? User, JsObject? Details)> Entries { get; } = new();

    public void Record(string action, string? user, JsObject? details = null) => Entries.Enqueue((action, user, details));

    public object? GetService(Type serviceType) => serviceType == typeof(IAuditLog) ? this : null;
}
