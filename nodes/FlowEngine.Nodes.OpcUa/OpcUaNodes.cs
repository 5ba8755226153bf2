using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>Registers the OPC UA node family: endpoint (config), read, write, browse, method and subscribe; the server (config) with server out and server in.</summary>
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
        registry.Register(OpcUaServerNode.Declaration, s => new OpcUaServerNode(s));
        registry.Register(OpcUaServerOutNode.Declaration, s => new OpcUaServerOutNode(s));
        registry.Register(OpcUaServerInNode.Declaration, s => new OpcUaServerInNode(s));
    }
}
