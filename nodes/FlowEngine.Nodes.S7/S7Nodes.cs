using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.S7;

/// <summary>Registers the S7 node family.</summary>
public static class S7Nodes
{
    public static void Register(NodeRegistry registry)
    {
    }
}
