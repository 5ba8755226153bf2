using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Influx;

/// <summary>
/// Registers the Influx node family: FlowEngine's influx server / out / batch / query, and node-red-contrib-influxdb's
/// influxdb / influxdb out / influxdb batch / influxdb in so imported Node-RED flows load unchanged.
/// </summary>
public static class InfluxNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(InfluxServerNode.Declaration, s => new InfluxServerNode(s));
        registry.Register(InfluxServerNode.NodeRedDeclaration, s => new InfluxServerNode(s));
        registry.Register(InfluxOutNode.OutDeclaration, s => new InfluxOutNode(s));
        registry.Register(InfluxOutNode.BatchDeclaration, s => new InfluxOutNode(s));
        registry.Register(InfluxOutNode.NodeRedOutDeclaration, s => new InfluxOutNode(s));
        registry.Register(InfluxOutNode.NodeRedBatchDeclaration, s => new InfluxOutNode(s));
        registry.Register(InfluxQueryNode.Declaration, s => new InfluxQueryNode(s));
        registry.Register(InfluxQueryNode.NodeRedDeclaration, s => new InfluxQueryNode(s));
    }
}
