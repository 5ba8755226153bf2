using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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
    private DirectReceiveAdapter? _current;
    private long _readInPlaceBefore;

    /// <summary>Messages read in place (not by MQTTnet) over all connections so far; tests check the fast path is taken.</summary>
    public long MessagesReadInPlace => Volatile.Read(ref _readInPlaceBefore) + (Volatile.Read(ref _current)?.ReadInPlace ?? 0);

    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        var tcp = options.ChannelOptions as MqttClientTcpOptions;
        // Packets are read in place only from our own plain TCP stream: under TLS its buffer holds ciphertext.
        var adapter = new DirectReceiveAdapter(_inner.CreateClientAdapter(options, packetInspector, logger), deliver,
            tcp?.StreamProvider as BatchingStreamProvider, readInPlace: tcp?.TlsOptions?.UseTls != true);
        if (Interlocked.Exchange(ref _current, adapter) is { } previous) Interlocked.Add(ref _readInPlaceBefore, previous.ReadInPlace);
        return adapter;
    }
}

/// <summary>
/// Delivers each received PUBLISH on MQTTnet's receive loop, in the order the packets arrived, and acknowledges it
/// (PUBACK for QoS 1, PUBREC for QoS 2; MQTTnet answers the PUBREL itself). Every other packet goes to MQTTnet.
/// </summary>
/// <remarks>
/// <para>
/// MQTTnet's client queues each received message for a second task, one thread hop per message. Delivering here
/// instead lets a whole read's worth of messages run through the flows on one thread (see
/// <see cref="FlowEngine.Core.Nodes.FlowNode.SendFromReceiveLoop"/>), and the publishes they cause leave together in one
/// send when the read is used up (<see cref="SendBatch"/>): one wake-up, one read and one write for many messages, as
/// Node-RED's single thread does it. Topic aliases are left to MQTTnet (the client never allows any, see
/// TopicAliasMaximum).
/// </para>
/// <para>
/// On a plain TCP connection the common PUBLISH packets are also read in place, straight from the
/// <see cref="BatchingSocketStream"/>'s receive buffer (<see cref="PublishPacketParser"/>): MQTTnet's own reading costs
/// a chain of asynchronous reads, a copy of the body and another of the payload, a packet object and its decoding for
/// every message. Any packet the parser declines is read by MQTTnet from the same bytes.
/// </para>
/// </remarks>
internal sealed class DirectReceiveAdapter(IMqttChannelAdapter inner, Action<MqttApplicationMessage> deliver,
    BatchingStreamProvider? streams = null, bool readInPlace = false) : IMqttChannelAdapter
{
    /// <summary>Messages delivered before the publishes they caused are sent even though more input is waiting.</summary>
    public const int MaxMessagesPerSendBatch = 256;

    private BatchingSocketStream? _stream;
    private bool _v5;
    private long _readInPlace;

    /// <summary>Messages read in place, not by MQTTnet.</summary>
    public long ReadInPlace => Volatile.Read(ref _readInPlace);

    public long BytesReceived => inner.BytesReceived;
    public long BytesSent => inner.BytesSent;
    public X509Certificate2 ClientCertificate => inner.ClientCertificate;
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => inner.LocalEndPoint;
    public bool IsSecureConnection => inner.IsSecureConnection;
    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await inner.ConnectAsync(cancellationToken).ConfigureAwait(false);
        // Taken even when not read in place, so the provider keeps no closed stream (and its buffer) alive.
        var stream = streams?.TakeLastConnected();
        _stream = readInPlace ? stream : null;
        _v5 = inner.PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500;
    }
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
                if (_stream is { Buffered.IsEmpty: true } empty)
                {
                    var filling = empty.FillAsync(cancellationToken);
                    if (!filling.IsCompleted) SendBatch.End();
                    await filling.ConfigureAwait(false);
                }
                if (_stream is null || !TryReadInPlace(_stream, out var received))
                {
                    var receiving = inner.ReceivePacketAsync(cancellationToken);
                    if (!receiving.IsCompleted) SendBatch.End();
                    var packet = await receiving.ConfigureAwait(false);
                    if (packet is not MqttPublishPacket publish || publish.TopicAlias != 0) return packet;
                    received = new ReceivedMessage(MqttApplicationMessageFactory.Create(publish),
                        Acknowledgement(publish.QualityOfServiceLevel, publish.PacketIdentifier));
                }

                if (++delivered % MaxMessagesPerSendBatch == 0) SendBatch.End();
                SendBatch.Begin();
                deliver(received.Message);
                if (received.Acknowledgement is { } acknowledgement)
                {
                    var sending = inner.SendPacketAsync(acknowledgement, cancellationToken);
                    if (!sending.IsCompleted) SendBatch.End();
                    await sending.ConfigureAwait(false);
                }
            }
        }
        finally
        {
            SendBatch.End();
        }
    }

    private static MqttPacket? Acknowledgement(MqttQualityOfServiceLevel qos, ushort packetIdentifier) => qos switch
    {
        MqttQualityOfServiceLevel.AtLeastOnce => new MqttPubAckPacket { PacketIdentifier = packetIdentifier, ReasonCode = MqttPubAckReasonCode.Success },
        MqttQualityOfServiceLevel.ExactlyOnce => new MqttPubRecPacket { PacketIdentifier = packetIdentifier, ReasonCode = MqttPubRecReasonCode.Success },
        _ => null,
    };

    private readonly record struct ReceivedMessage(MqttApplicationMessage Message, MqttPacket? Acknowledgement);

    /// <summary>Reads the next packet from the stream's buffer when it is a PUBLISH the parser takes.</summary>
    private bool TryReadInPlace(BatchingSocketStream stream, out ReceivedMessage message)
    {
        if (!PublishPacketParser.TryParse(stream.Buffered, _v5, out var publish))
        {
            message = default;
            return false;
        }
        // The payload is copied (as MQTTnet does): subscribers may keep it (a buffer payload, a message posted for
        // later), and the next receive refills the buffer.
        var payload = publish.Payload;
        message = new ReceivedMessage(new MqttApplicationMessage
        {
            Topic = Encoding.UTF8.GetString(publish.Topic),
            Payload = payload.IsEmpty ? default : new ReadOnlySequence<byte>(payload.ToArray()),
            QualityOfServiceLevel = publish.Qos,
            Retain = publish.Retain,
            Dup = publish.Dup,
        }, Acknowledgement(publish.Qos, publish.PacketIdentifier));
        stream.Consume(publish.PacketLength);
        // Only the receive loop counts: a plain write, no interlocked add per message.
        Volatile.Write(ref _readInPlace, _readInPlace + 1);
        return true;
    }
}
