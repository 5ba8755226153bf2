using System.Text;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>
/// PUBLISH packets read in place from the receive buffer: the plain ones are taken with every field right, anything
/// else is declined (MQTTnet then reads it), and a packet not yet whole in the buffer is never taken.
/// </summary>
public sealed class PublishPacketParserTests
{
    /// <summary>Builds a PUBLISH packet as the MQTT specification lays it out (3.1.1 §3.3, 5.0 §3.3).</summary>
    private static byte[] Publish(string topic, byte[] payload, int qos = 0, bool retain = false, bool dup = false,
        ushort packetId = 0, byte[]? v5Properties = null)
    {
        var body = new List<byte>();
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        body.Add((byte)(topicBytes.Length >> 8));
        body.Add((byte)topicBytes.Length);
        body.AddRange(topicBytes);
        if (qos > 0)
        {
            body.Add((byte)(packetId >> 8));
            body.Add((byte)packetId);
        }
        if (v5Properties is not null)
        {
            body.AddRange(VariableByteInteger(v5Properties.Length));
            body.AddRange(v5Properties);
        }
        body.AddRange(payload);
        var packet = new List<byte> { (byte)(0x30 | (dup ? 0x08 : 0) | qos << 1 | (retain ? 1 : 0)) };
        packet.AddRange(VariableByteInteger(body.Count));
        packet.AddRange(body);
        return [.. packet];
    }

    private static IEnumerable<byte> VariableByteInteger(int value)
    {
        do
        {
            var b = (byte)(value % 128);
            value /= 128;
            yield return value > 0 ? (byte)(b | 0x80) : b;
        } while (value > 0);
    }

    [Fact]
    public void A_qos_0_publish_gives_its_topic_payload_and_length()
    {
        var packet = Publish("plant/line1/temp", "{\"v\":21.5}"u8.ToArray());
        Assert.True(PublishPacketParser.TryParse(packet, v5: false, out var publish));
        Assert.Equal("plant/line1/temp", Encoding.UTF8.GetString(publish.Topic));
        Assert.Equal("{\"v\":21.5}", Encoding.UTF8.GetString(publish.Payload));
        Assert.Equal(packet.Length, publish.PacketLength);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, publish.Qos);
        Assert.False(publish.Retain);
        Assert.False(publish.Dup);
        Assert.Equal(0, publish.PacketIdentifier);
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(1, false, true)]
    public void Qos_retain_dup_and_packet_identifier_are_read(int qos, bool retain, bool dup)
    {
        var packet = Publish("a/b", [1, 2, 3], qos, retain, dup, packetId: 0xBEEF);
        Assert.True(PublishPacketParser.TryParse(packet, v5: false, out var publish));
        Assert.Equal((MqttQualityOfServiceLevel)qos, publish.Qos);
        Assert.Equal(retain, publish.Retain);
        Assert.Equal(dup, publish.Dup);
        Assert.Equal(0xBEEF, publish.PacketIdentifier);
        Assert.Equal([1, 2, 3], publish.Payload.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(200)]
    [InlineData(20_000)]
    [InlineData(3_000_000)]
    public void Payloads_of_any_size_whose_length_takes_one_to_four_bytes_are_read_whole(int size)
    {
        var payload = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        var packet = Publish("t/ü", payload);
        Assert.True(PublishPacketParser.TryParse(packet, v5: false, out var publish));
        Assert.Equal("t/ü", Encoding.UTF8.GetString(publish.Topic));
        Assert.True(publish.Payload.SequenceEqual(payload));
        Assert.Equal(packet.Length, publish.PacketLength);
    }

    [Fact]
    public void Only_the_first_of_two_packets_in_the_buffer_is_read()
    {
        var first = Publish("one", "1"u8.ToArray());
        var second = Publish("two", "2"u8.ToArray());
        Assert.True(PublishPacketParser.TryParse([.. first, .. second], v5: false, out var publish));
        Assert.Equal(first.Length, publish.PacketLength);
        Assert.Equal("1", Encoding.UTF8.GetString(publish.Payload));
        Assert.True(PublishPacketParser.TryParse(second, v5: false, out var next));
        Assert.Equal("two", Encoding.UTF8.GetString(next.Topic));
    }

    [Fact]
    public void A_packet_cut_anywhere_by_the_end_of_the_buffer_is_not_taken()
    {
        var packet = Publish("plant/x", Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), qos: 1, packetId: 7);
        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(PublishPacketParser.TryParse(packet.AsSpan(0, length), v5: false, out _), $"taken when cut at {length} of {packet.Length} bytes");
        }
    }

    [Fact]
    public void An_mqtt_5_publish_without_properties_is_read_and_one_with_properties_is_left_to_mqttnet()
    {
        var plain = Publish("a", "x"u8.ToArray(), qos: 1, packetId: 3, v5Properties: []);
        Assert.True(PublishPacketParser.TryParse(plain, v5: true, out var publish));
        Assert.Equal("x", Encoding.UTF8.GetString(publish.Payload));
        Assert.Equal(3, publish.PacketIdentifier);
        // Content type "json" (property 0x03) and a subscription identifier (0x0B).
        var withProperties = Publish("a", "x"u8.ToArray(), v5Properties: [0x03, 0x00, 0x04, (byte)'j', (byte)'s', (byte)'o', (byte)'n', 0x0B, 0x01]);
        Assert.False(PublishPacketParser.TryParse(withProperties, v5: true, out _));
    }

    [Fact]
    public void The_same_bytes_read_as_mqtt_5_take_the_property_length_out_of_the_payload()
    {
        var packet = Publish("a", "xyz"u8.ToArray(), v5Properties: []);
        Assert.True(PublishPacketParser.TryParse(packet, v5: true, out var v5));
        Assert.Equal("xyz", Encoding.UTF8.GetString(v5.Payload));
        Assert.True(PublishPacketParser.TryParse(packet, v5: false, out var v3));
        Assert.Equal("\0xyz", Encoding.UTF8.GetString(v3.Payload));
    }

    public static TheoryData<string, byte[]> Declined => new()
    {
        { "PUBACK", [0x40, 0x02, 0x00, 0x01] },
        { "PINGRESP", [0xD0, 0x00] },
        { "CONNACK", [0x20, 0x02, 0x00, 0x00] },
        { "QoS 3", [0x36, 0x05, 0x00, 0x01, (byte)'a', 0x00, 0x01] },
        { "DUP on QoS 0", [0x38, 0x04, 0x00, 0x01, (byte)'a', (byte)'x'] },
        { "empty topic (a topic alias)", [0x30, 0x03, 0x00, 0x00, (byte)'x'] },
        { "topic longer than the packet", [0x30, 0x04, 0x00, 0x09, (byte)'a', (byte)'b'] },
        { "QoS 1 without room for its packet identifier", [0x32, 0x04, 0x00, 0x01, (byte)'a', 0x00] },
        { "QoS 1 with packet identifier 0", [0x32, 0x05, 0x00, 0x01, (byte)'a', 0x00, 0x00] },
        { "remaining length of five bytes", [0x30, 0x80, 0x80, 0x80, 0x80, 0x01] },
        { "one byte", [0x30] },
    };

    [Theory]
    [MemberData(nameof(Declined))]
    public void Other_packets_and_malformed_publishes_are_left_to_mqttnet(string what, byte[] bytes)
    {
        Assert.False(PublishPacketParser.TryParse(bytes, v5: false, out _), what);
    }
}
