using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>Registers the MQTT node family: mqtt-broker, mqtt in, mqtt out and tls-config.</summary>
public static class MqttNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(TlsConfigNode.Declaration, s => new TlsConfigNode(s));
        registry.Register(MqttBrokerNode.Declaration, s => new MqttBrokerNode(s));
        registry.Register(MqttInNode.Declaration, s => new MqttInNode(s));
        registry.Register(MqttOutNode.Declaration, s => new MqttOutNode(s));
        Sparkplug.SparkplugNodes.Register(registry);
    }
}
