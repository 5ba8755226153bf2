using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// A node of a type no node family provides. It keeps its configuration (so export gives back what was imported),
/// shows an error status and passes nothing. Unlike Node-RED, the rest of the flows still start.
/// </summary>
internal sealed class UnknownTypeNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("unknown") { Category = "hidden", Inputs = 1, Outputs = 0 };

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        SetStatus(NodeStatus.Error($"unknown type: {Type}"));
        Warn($"Node type \"{Type}\" is not installed: the node passes no messages");
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input) => ValueTask.CompletedTask;
}

/// <summary>The instance node of a subflow: passes its input to the nodes wired to the subflow's input port.</summary>
internal sealed class SubflowInstanceNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new(FlowPlanner.SubflowInstanceType) { Category = "hidden" };

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        Send(input.Message);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The status port of a subflow instance: messages reaching it set the instance node's status (§1.5).</summary>
internal sealed class SubflowStatusNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new(FlowPlanner.SubflowStatusType) { Category = "hidden", Outputs = 0 };

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var instanceId = Config.GetString("instance");
        var instance = Services.Nodes.Find(instanceId);
        if (instance is null) return ValueTask.CompletedTask;
        var payload = input.Message.Get("payload");
        NodeStatus? status = payload switch
        {
            string s => new NodeStatus(Text: s),
            JsObject o when o.Count == 0 || o.ContainsKey("text") || o.ContainsKey("fill") || o.ContainsKey("shape") => FromObject(o),
            null => input.Message.Get("status") is JsObject st ? FromObject(st) : null,
            _ => new NodeStatus(Text: Shorten(JsValue.ToJsString(payload))),
        };
        if (status is not null) instance.SetStatus(status);
        return ValueTask.CompletedTask;
    }

    private static string Shorten(string text) => text.Length > 32 ? text[..32] + "..." : text;

    internal static NodeStatus FromObject(JsObject o) => new(
        o.Get("fill") as string,
        o.Get("shape") as string,
        o.Get("text") is { } t ? JsValue.ToJsString(t) : null);
}

/// <summary>Node-RED's global-config node: holds global env (read by the planner) and the module list. No behaviour.</summary>
internal sealed class GlobalConfigNode(NodeSetup setup) : FlowNode(setup)
{
    public const string TypeName = "global-config";
}
