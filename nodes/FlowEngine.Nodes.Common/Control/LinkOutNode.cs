using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's link out. In "link" mode the flow planner has already turned its links into ordinary wires, so it only
/// sends. In "return" mode it pops the caller entry a link call pushed onto msg._linkSource and hands the message back
/// to that link call node (§1.11, §5.2 link).
/// </summary>
internal sealed class LinkOutNode : FlowNode
{
    public const string MissingReturn = "Missing return node information";

    public static readonly NodeDeclaration Declaration = new("link out")
    {
        Category = "common",
        Color = "#ddd",
        Icon = "link-out.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/link",
        DefaultLabel = "link out",
        Help = """
            The start of a virtual wire.

            - **mode** `link`: every message is sent to all the **link in** nodes in **links** (and those listing this
              node), on any tab.
            - **mode** `return`: ends a subroutine started by a **link call** node: the message goes back to the link
              call that sent it (the last entry of `msg._linkSource`, which is removed), and leaves that node's output.
              A message without `msg._linkSource` is dropped with the warning "Missing return node information".
            - **links**: ids of the link in nodes to send to (mode `link`).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "_DEFAULT_" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "link", Options = ["link", "return"] },
            new PropertyDeclaration("links", PropertyKind.Any) { Default = new List<object?>(), Help = "ids of link in nodes" },
        ],
    };

    private readonly bool _return;

    public LinkOutNode(NodeSetup setup) : base(setup)
    {
        var mode = Config.GetString("mode", "link");
        _return = mode switch
        {
            "" or "link" => false,
            "return" => true,
            _ => throw Config.Invalid("mode", $"expected \"link\" or \"return\", got \"{mode}\""),
        };
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_return)
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        if (msg.Get("_linkSource") is List<object?> { Count: > 0 } stack)
        {
            var entry = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if (entry is JsObject caller && caller.Get("node") is string callerId && Services.Nodes.Find(callerId) is LinkCallNode linkCall)
            {
                linkCall.ReturnFromLink(caller.Get("id") as string ?? "", msg);
                return ValueTask.CompletedTask;
            }
        }
        Warn(MissingReturn);
        return ValueTask.CompletedTask;
    }
}
