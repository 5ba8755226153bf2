using System.Buffers.Binary;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>A PUBLISH packet read in place: <see cref="Topic"/> and <see cref="Payload"/> point into the receive buffer.</summary>
internal readonly ref struct ParsedPublish(int packetLength, MqttQualityOfServiceLevel qos, bool retain, bool dup,
    ushort packetIdentifier, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> payload)
{
    /// <summary>Bytes of the whole packet, fixed header included: what the reader consumes.</summary>
    public int PacketLength { get; } = packetLength;
    public MqttQualityOfServiceLevel Qos { get; } = qos;
    public bool Retain { get; } = retain;
    public bool Dup { get; } = dup;
    /// <summary>0 for QoS 0.</summary>
    public ushort PacketIdentifier { get; } = packetIdentifier;
    /// <summary>The topic name's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Topic { get; } = topic;
    public ReadOnlySpan<byte> Payload { get; } = payload;
}

/// <summary>
/// Reads the common PUBLISH packet straight from received bytes (MQTT 3.1.1 §3.3, MQTT 5.0 §3.3): whole in the
/// buffer, QoS 0, 1 or 2, a topic name, and for MQTT 5 no properties. Everything else — another packet type, a packet
/// cut by the end of the buffer, MQTT 5 properties (topic alias, subscription identifiers, user properties...), and
/// anything malformed — is declined and left to MQTTnet, which reads it from the same bytes and raises its own
/// protocol errors; so this reader never decides whether a packet is valid, it only takes the plain ones.
/// </summary>
internal static class PublishPacketParser
{
    private const int PublishPacketType = 3;

    /// <summary>True when <paramref name="buffer"/> starts with a whole PUBLISH packet this reader takes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> buffer, bool v5, out ParsedPublish publish)
    {
        publish = default;
        if (buffer.Length < 2 || buffer[0] >> 4 != PublishPacketType) return false;
        var flags = buffer[0] & 0x0F;
        var qos = (flags >> 1) & 0x03;
        var dup = (flags & 0x08) != 0;
        // QoS 3 is malformed and DUP on QoS 0 a protocol violation: MQTTnet's to judge.
        if (qos == 3 || dup && qos == 0) return false;
        if (!TryReadVariableByteInteger(buffer[1..], out var remainingLength, out var lengthBytes)) return false;
        var headerLength = 1 + lengthBytes;
        if (buffer.Length - headerLength < remainingLength) return false;
        var body = buffer.Slice(headerLength, remainingLength);

        if (body.Length < 2) return false;
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        // An empty topic name is a topic alias (MQTT 5) or malformed (3.1.1).
        if (topicLength == 0 || body.Length < 2 + topicLength) return false;
        var topic = body.Slice(2, topicLength);
        var position = 2 + topicLength;

        ushort packetIdentifier = 0;
        if (qos > 0)
        {
            if (body.Length < position + 2) return false;
            packetIdentifier = BinaryPrimitives.ReadUInt16BigEndian(body[position..]);
            if (packetIdentifier == 0) return false;
            position += 2;
        }
        if (v5)
        {
            if (!TryReadVariableByteInteger(body[position..], out var propertiesLength, out var propertiesLengthBytes) || propertiesLength != 0) return false;
            position += propertiesLengthBytes;
        }
        publish = new ParsedPublish(headerLength + remainingLength, (MqttQualityOfServiceLevel)qos, (flags & 0x01) != 0, dup,
            packetIdentifier, topic, body[position..]);
        return true;
    }

    /// <summary>MQTT's variable byte integer (3.1.1 §2.2.3, 5.0 §1.5.5): 7 bits per byte, at most 4 bytes.</summary>
    private static bool TryReadVariableByteInteger(ReadOnlySpan<byte> bytes, out int value, out int length)
    {
        value = 0;
        for (length = 0; length < 4 && length < bytes.Length; length++)
        {
            var b = bytes[length];
            value |= (b & 0x7F) << (7 * length);
            if ((b & 0x80) == 0)
            {
                length++;
                return true;
            }
        }
        return false;
    }
}
