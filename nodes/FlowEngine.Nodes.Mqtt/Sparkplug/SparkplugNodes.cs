using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>Registers the Sparkplug B nodes: sparkplug-edge, sparkplug out, sparkplug in, sparkplug command.</summary>
public static class SparkplugNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(SparkplugEdgeNode.Declaration, s => new SparkplugEdgeNode(s));
        registry.Register(SparkplugOutNode.Declaration, s => new SparkplugOutNode(s));
        registry.Register(SparkplugInNode.Declaration, s => new SparkplugInNode(s));
        registry.Register(SparkplugCommandNode.Declaration, s => new SparkplugCommandNode(s));
    }
}
