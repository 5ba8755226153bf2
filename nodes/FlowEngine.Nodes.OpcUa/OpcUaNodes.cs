using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>Registers the OpcUa node family.</summary>
public static class OpcUaNodes
{
    public static void Register(NodeRegistry registry)
    {
    }
}
