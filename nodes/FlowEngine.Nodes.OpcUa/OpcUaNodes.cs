using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>Registers the OPC UA node family: endpoint (config), read, write, browse, method and subscribe.</summary>
public static class OpcUaNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(OpcUaEndpointNode.Declaration, s => new OpcUaEndpointNode(s));
        registry.Register(OpcUaReadNode.Declaration, s => new OpcUaReadNode(s));
        registry.Register(OpcUaWriteNode.Declaration, s => new OpcUaWriteNode(s));
        registry.Register(OpcUaBrowseNode.Declaration, s => new OpcUaBrowseNode(s));
        registry.Register(OpcUaMethodNode.Declaration, s => new OpcUaMethodNode(s));
        registry.Register(OpcUaSubscribeNode.Declaration, s => new OpcUaSubscribeNode(s));
    }
}
