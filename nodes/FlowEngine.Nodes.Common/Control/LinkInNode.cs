using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's link in: the end of a virtual wire. The flow planner wires every link out to the link ins it names (or
/// that name it), and link call nodes deliver to it directly; either way the message passes straight through (§1.11).
/// </summary>
internal sealed class LinkInNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("link in")
    {
        Category = "common",
        Color = "#ddd",
        Icon = "link-out.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/link",
        DefaultLabel = "link in",
        Help = """
            The end of a virtual wire: sends on every message that a **link out** node connected to it sends, on this
            or any other tab, and every message a **link call** node sends to it.

            - **links**: the ids of the link out nodes connected to this node (the connection may be listed on either
              side).
            - **name**: also the name a dynamic link call (`msg.target`) can use to find this node.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "_DEFAULT_" },
            new PropertyDeclaration("links", PropertyKind.Any) { Default = new List<object?>(), Help = "ids of connected link out nodes" },
        ],
    };

    /// <summary>The name a dynamic link call matches: the node's name, or its id when it has none (as Node-RED registers it).</summary>
    internal string CallName => Name.Length > 0 ? Name : Id;

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        Send(input.Message);
        return ValueTask.CompletedTask;
    }
}
