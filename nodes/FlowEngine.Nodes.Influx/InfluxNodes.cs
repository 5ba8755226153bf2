using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Influx;

/// <summary>Registers the Influx node family.</summary>
public static class InfluxNodes
{
    public static void Register(NodeRegistry registry)
    {
    }
}
