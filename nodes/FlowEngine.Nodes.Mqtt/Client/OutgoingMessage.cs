namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>One message to publish, with its MQTT 5 properties. Plain data, kept in the offline buffer and the spool.</summary>
internal sealed class OutgoingMessage
{
    public required string Topic { get; init; }
    public required byte[] Payload { get; init; }
    public int Qos { get; init; }
    public bool Retain { get; init; }
    public string? ResponseTopic { get; init; }
    public byte[]? CorrelationData { get; init; }
    public string? ContentType { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
    public uint? MessageExpiryInterval { get; init; }
    public bool PayloadIsUtf8 { get; init; }

    /// <summary>Position in the connection's send order; assigned when the message is queued.</summary>
    public long Sequence { get; set; }

    /// <summary>
    /// Called once when the message has left our hands: published (null), refused by the broker (the error), handed
    /// to the disk spool (null: it is durable from then on), or dropped from a full buffer (null; counted instead).
    /// Not persisted: a message read back from the spool after a restart has none.
    /// </summary>
    public Action<Exception?>? Completed { get; set; }

    public bool FromSpool { get; set; }

    public void Complete(Exception? error)
    {
        var callback = Completed;
        Completed = null;
        callback?.Invoke(error);
    }

    public override string ToString() => $"#{Sequence} {Topic} qos{Qos}{(Retain ? " retain" : "")} {Payload.Length} bytes";
}
