using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Hmi;

/// <summary>Registers the Hmi node family.</summary>
public static class HmiNodes
{
    public static void Register(NodeRegistry registry)
    {
    }
}
