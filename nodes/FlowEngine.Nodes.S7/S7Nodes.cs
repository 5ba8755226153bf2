using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.S7;

/// <summary>Registers the S7 node family (node-red-contrib-s7 type names): s7 endpoint (config), s7 in, s7 out, s7 control.</summary>
public static class S7Nodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(S7EndpointNode.Declaration, s => new S7EndpointNode(s));
        registry.Register(S7InNode.Declaration, s => new S7InNode(s));
        registry.Register(S7OutNode.Declaration, s => new S7OutNode(s));
        registry.Register(S7ControlNode.Declaration, s => new S7ControlNode(s));
    }
}
