using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Modbus;

/// <summary>Registers the Modbus node family: device (config), read, getter, write and server.</summary>
public static class ModbusNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(ModbusDeviceNode.Declaration, s => new ModbusDeviceNode(s));
        registry.Register(ModbusReadNode.Declaration, s => new ModbusReadNode(s));
        registry.Register(ModbusGetterNode.Declaration, s => new ModbusGetterNode(s));
        registry.Register(ModbusWriteNode.Declaration, s => new ModbusWriteNode(s));
        registry.Register(ModbusServerNode.Declaration, s => new ModbusServerNode(s));
    }
}
