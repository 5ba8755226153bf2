using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common;
using FlowEngine.Nodes.Industrial;
using FlowEngine.Nodes.Modbus;
using FlowEngine.Nodes.Mqtt;

namespace FlowEngine.Host.Hosting;

/// <summary>Every node family the program ships, registered in one place (the node reference is generated from the same list).</summary>
public static class NodeFamilies
{
    public static void Register(NodeRegistry registry)
    {
        CommonNodes.Register(registry);
        MqttNodes.Register(registry);
        ModbusNodes.Register(registry);
        IndustrialNodes.Register(registry);
    }
}
