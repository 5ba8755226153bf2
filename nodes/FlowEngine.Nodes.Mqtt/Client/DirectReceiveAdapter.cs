using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// Makes MQTTnet's own channel adapters, wrapped in a <see cref="DirectReceiveAdapter"/> that hands received
/// messages to <paramref name="deliver"/>.
/// </summary>
internal sealed class DirectReceiveAdapterFactory(Action<MqttApplicationMessage> deliver) : IMqttClientAdapterFactory
{
    private readonly MqttClientAdapterFactory _inner = new();

    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger) =>
        new DirectReceiveAdapter(_inner.CreateClientAdapter(options, packetInspector, logger), deliver);
}

/// <summary>
/// Delivers each received PUBLISH on MQTTnet's receive loop, in the order the packets arrived, and acknowledges it
/// (PUBACK for QoS 1, PUBREC for QoS 2; MQTTnet answers the PUBREL itself). Every other packet goes to MQTTnet.
/// </summary>
/// <remarks>
/// MQTTnet's client queues each received message for a second task, one thread hop per message. Delivering here
/// instead lets a whole read's worth of messages run through the flows on one thread (see
/// <see cref="FlowEngine.Core.Nodes.FlowNode.SendFromReceiveLoop"/>), and the publishes they cause leave together in one
/// send when the read is used up (<see cref="SendBatch"/>): one wake-up, one read and one write for many messages, as
/// Node-RED's single thread does it. Topic aliases are left to MQTTnet (the client never allows any, see
/// TopicAliasMaximum).
/// </remarks>
internal sealed class DirectReceiveAdapter(IMqttChannelAdapter inner, Action<MqttApplicationMessage> deliver) : IMqttChannelAdapter
{
    /// <summary>Messages delivered before the publishes they caused are sent even though more input is waiting.</summary>
    public const int MaxMessagesPerSendBatch = 256;

    public long BytesReceived => inner.BytesReceived;
    public long BytesSent => inner.BytesSent;
    public X509Certificate2 ClientCertificate => inner.ClientCertificate;
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => inner.LocalEndPoint;
    public bool IsSecureConnection => inner.IsSecureConnection;
    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);
    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);
    public void ResetStatistics() => inner.ResetStatistics();
    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken) => inner.SendPacketAsync(packet, cancellationToken);
    public void Dispose() => inner.Dispose();

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        // The send batch is thread-bound: it is closed (its publishes sent) before every wait that could move this
        // method to another thread, and when the method leaves.
        var delivered = 0;
        try
        {
            while (true)
            {
                var receiving = inner.ReceivePacketAsync(cancellationToken);
                if (!receiving.IsCompleted) SendBatch.End();
                var packet = await receiving.ConfigureAwait(false);
                if (packet is not MqttPublishPacket publish || publish.TopicAlias != 0) return packet;

                if (++delivered % MaxMessagesPerSendBatch == 0) SendBatch.End();
                SendBatch.Begin();
                deliver(MqttApplicationMessageFactory.Create(publish));

                MqttPacket? acknowledgement = publish.QualityOfServiceLevel switch
                {
                    MqttQualityOfServiceLevel.AtLeastOnce => new MqttPubAckPacket { PacketIdentifier = publish.PacketIdentifier, ReasonCode = MqttPubAckReasonCode.Success },
                    MqttQualityOfServiceLevel.ExactlyOnce => new MqttPubRecPacket { PacketIdentifier = publish.PacketIdentifier, ReasonCode = MqttPubRecReasonCode.Success },
                    _ => null,
                };
                if (acknowledgement is null) continue;
                var sending = inner.SendPacketAsync(acknowledgement, cancellationToken);
                if (!sending.IsCompleted) SendBatch.End();
                await sending.ConfigureAwait(false);
            }
        }
        finally
        {
            SendBatch.End();
        }
    }
}
