using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Common.Flow;

/// <summary>A note on the canvas. It has no behaviour at run time.</summary>
internal sealed class CommentNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("comment")
    {
        Category = "common",
        Color = "#ffffff",
        Icon = "comment.svg",
        Inputs = 0,
        Outputs = 0,
        Set = "node-red/comment",
        Module = "node-red",
        Help = "A comment on the canvas. The **info** property holds Markdown shown in the info sidebar. It does nothing at run time.",
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Label = "Title" },
            new PropertyDeclaration("info", PropertyKind.Code) { Label = "Body (Markdown)" },
        ],
    };
}

/// <summary>A wiring dot: one input, one output, passes every message through.</summary>
internal sealed class JunctionNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("junction")
    {
        Category = "hidden",
        Color = "#d9d9d9",
        Set = "node-red/junction",
        Module = "node-red",
        Help = "A junction joins and splits wires. Every message that reaches it leaves on its single output.",
    };

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        Send(input.Message);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Receives errors of nodes in the same flow. The runtime routes them (Node-RED §2.5); the node only emits.</summary>
internal sealed class CatchNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("catch")
    {
        Category = "common",
        Color = "#e49191",
        Icon = "alert.svg",
        Inputs = 0,
        Outputs = 1,
        Set = "node-red/catch",
        Module = "node-red",
        Help = """
            Catches errors thrown by nodes in the same flow (tab or subflow).

            **scope**: empty for all nodes, `"group"` for nodes in the same group, or a list of node ids.
            **uncaught**: only errors no other catch node handled.

            The message sent is a copy of the failing message with `msg.error = {message, source:{id,type,name,count}}`;
            an existing `msg.error` moves to `msg._error`. Errors not caught inside a subflow are offered to the flow
            that contains the subflow instance.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("scope", PropertyKind.Any) { Default = null, Help = "null, \"group\" or a list of node ids" },
            new PropertyDeclaration("uncaught", PropertyKind.Bool) { Default = false },
        ],
    };
}

/// <summary>Receives status changes of nodes in the same flow (Node-RED §2.6).</summary>
internal sealed class StatusNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("status")
    {
        Category = "common",
        Color = "#94c1d0",
        Icon = "status.svg",
        Inputs = 0,
        Outputs = 1,
        Set = "node-red/status",
        Module = "node-red",
        Help = """
            Reports status changes of other nodes in the same flow as `msg.status = {fill, shape, text, source:{id,type,name}}`.

            **scope**: empty for all nodes, `"group"`, or a list of node ids (nodes this node is itself wired to are ignored).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("scope", PropertyKind.Any) { Default = null },
        ],
    };
}

/// <summary>Fires when a scoped node finishes handling a message (Node-RED §2.7).</summary>
internal sealed class CompleteNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("complete")
    {
        Category = "common",
        Color = "#c0edc0",
        Icon = "alert.svg",
        Inputs = 0,
        Outputs = 1,
        Set = "node-red/complete",
        Module = "node-red",
        Help = """
            Sends a copy of the message a scoped node handled when that node reports it is done, with
            `msg.complete = {source:{id,type,name}}`. Nodes that never report completion (switch, filter) never trigger it.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("scope", PropertyKind.Any) { Default = new List<object?>(), Help = "the ids of the nodes to watch" },
            new PropertyDeclaration("uncaught", PropertyKind.Bool) { Default = false },
        ],
    };
}
