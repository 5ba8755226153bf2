using System.Buffers;

namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

internal enum SparkplugQuality
{
    Good,
    Bad,
    Stale,
}

/// <summary>One metric as a host application sees it: name and datatype resolved from the birth, and its quality.</summary>
internal sealed record SparkplugReading(string? DeviceId, SparkplugMetric Metric, SparkplugQuality Quality);

/// <summary>What one received Sparkplug message means.</summary>
internal sealed record SparkplugReceived
{
    public required SparkplugTopic Topic { get; init; }
    public SparkplugPayload? Payload { get; init; }
    /// <summary>The payload's metrics, resolved; for NDEATH and DDEATH, every metric that is now stale.</summary>
    public IReadOnlyList<SparkplugReading> Readings { get; init; } = [];
    /// <summary>The seq that should have come and the one that did, when they differ.</summary>
    public (int Expected, int Actual)? SeqGap { get; init; }
    /// <summary>Why the edge node should be asked for a rebirth (a gap, an unknown alias, data before its birth); null when all is well.</summary>
    public string? RebirthReason { get; init; }
    /// <summary>An NDEATH from an older session (its bdSeq is not the one of the current NBIRTH): it kills nothing.</summary>
    public bool StaleDeath { get; init; }
    /// <summary>bdSeq of the NBIRTH or NDEATH.</summary>
    public long? BdSeq { get; init; }
}

/// <summary>
/// The host-application side of Sparkplug B (Sparkplug 3.0 §5.5-§5.16, §7.3): remembers each edge node's births to
/// resolve aliases and datatypes, checks that seq numbers follow on (0-255, wrapping), marks metrics stale when their
/// node or device dies (an NDEATH counts only when its bdSeq matches the NBIRTH), and says when a rebirth is needed.
/// Not thread-safe: one receiver per subscription, fed in arrival order.
/// </summary>
internal sealed class SparkplugReceiver
{
    private readonly Dictionary<(string Group, string Edge), EdgeState> _edges = [];

    /// <summary>Decodes and interprets one message. Throws <see cref="SparkplugFormatException"/> when the payload is not Sparkplug B.</summary>
    public SparkplugReceived Receive(SparkplugTopic topic, ReadOnlySequence<byte> bytes)
    {
        if (topic.Type == SparkplugMessageType.STATE) return new SparkplugReceived { Topic = topic };
        var payload = SparkplugCodec.Decode(bytes);
        var key = (topic.GroupId, topic.EdgeNodeId);
        _edges.TryGetValue(key, out var edge);
        switch (topic.Type)
        {
            case SparkplugMessageType.NBIRTH:
            {
                edge = new EdgeState { Born = true, BdSeq = BdSeqOf(payload) };
                _edges[key] = edge;
                var readings = Register(edge, edge.Node, null, payload);
                edge.ExpectedSeq = Next(payload.Seq);
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = readings, BdSeq = edge.BdSeq };
            }
            case SparkplugMessageType.NDEATH:
            {
                var bdSeq = BdSeqOf(payload);
                if (edge is not { Born: true } || (bdSeq is not null && edge.BdSeq is not null && bdSeq != edge.BdSeq))
                {
                    return new SparkplugReceived { Topic = topic, Payload = payload, StaleDeath = true, BdSeq = bdSeq };
                }
                edge.Born = false;
                var stale = Stale(edge.Node, null).Concat(edge.Devices.SelectMany(d => d.Value.Alive ? Stale(d.Value, d.Key) : [])).ToList();
                foreach (var device in edge.Devices.Values) device.Alive = false;
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = stale, BdSeq = bdSeq };
            }
            case SparkplugMessageType.NCMD:
            case SparkplugMessageType.DCMD:
            {
                // Commands carry no seq; names come from the birth when the sender used aliases.
                var table = edge is null ? null : topic.DeviceId is null ? edge.Node : edge.Devices.GetValueOrDefault(topic.DeviceId);
                var readings = payload.Metrics.Select(m => new SparkplugReading(topic.DeviceId, Resolve(table, m, out _), SparkplugQuality.Good)).ToList();
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = readings };
            }
        }

        // DBIRTH, DDEATH, NDATA, DDATA: in sequence after the NBIRTH.
        if (edge is not { Born: true })
        {
            var unresolved = payload.Metrics.Select(m => new SparkplugReading(topic.DeviceId, m, SparkplugQuality.Good)).ToList();
            return new SparkplugReceived { Topic = topic, Payload = payload, Readings = unresolved, RebirthReason = $"{topic.Type} before any NBIRTH of {topic.GroupId}/{topic.EdgeNodeId}" };
        }
        (int, int)? gap = null;
        string? rebirth = null;
        if (payload.Seq is { } seq)
        {
            if (edge.ExpectedSeq is { } expected && (int)(seq % 256) != expected)
            {
                gap = (expected, (int)(seq % 256));
                rebirth = $"seq {seq} where {expected} was expected: messages were lost";
            }
            edge.ExpectedSeq = Next(seq);
        }
        else
        {
            rebirth = $"{topic.Type} without a seq number";
        }

        switch (topic.Type)
        {
            case SparkplugMessageType.DBIRTH:
            {
                var device = new MetricState();
                edge.Devices[topic.DeviceId!] = device;
                var readings = Register(edge, device, topic.DeviceId, payload);
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = readings, SeqGap = gap, RebirthReason = rebirth };
            }
            case SparkplugMessageType.DDEATH:
            {
                var readings = new List<SparkplugReading>();
                if (edge.Devices.TryGetValue(topic.DeviceId!, out var device) && device.Alive)
                {
                    readings.AddRange(Stale(device, topic.DeviceId));
                    device.Alive = false;
                }
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = readings, SeqGap = gap, RebirthReason = rebirth };
            }
            default:
            {
                var table = topic.DeviceId is null ? edge.Node : edge.Devices.GetValueOrDefault(topic.DeviceId);
                if (table is null || !table.Alive) rebirth ??= $"{topic.Type} for device {topic.DeviceId}, which has no DBIRTH";
                var readings = new List<SparkplugReading>(payload.Metrics.Count);
                foreach (var metric in payload.Metrics)
                {
                    var resolved = Resolve(table, metric, out var known);
                    if (!known) rebirth ??= $"metric {(metric.Name is { } n ? "\"" + n + "\"" : "alias " + metric.Alias)} is not in the birth certificate";
                    if (known && table is not null && resolved.Name is { } name && !metric.IsHistorical) table.Last[name] = resolved;
                    readings.Add(new SparkplugReading(topic.DeviceId, resolved, QualityOf(resolved)));
                }
                return new SparkplugReceived { Topic = topic, Payload = payload, Readings = readings, SeqGap = gap, RebirthReason = rebirth };
            }
        }
    }

    /// <summary>Forgets an edge node (after a rebirth request, so its next NBIRTH starts clean).</summary>
    public void Forget(string groupId, string edgeNodeId) => _edges.Remove((groupId, edgeNodeId));

    private static List<SparkplugReading> Register(EdgeState edge, MetricState table, string? deviceId, SparkplugPayload payload)
    {
        var readings = new List<SparkplugReading>(payload.Metrics.Count);
        foreach (var metric in payload.Metrics)
        {
            if (metric.Name is { } name)
            {
                table.Types[name] = metric.DataType;
                if (metric.Alias is { } alias)
                {
                    table.Aliases[alias] = name;
                    edge.AliasOwner[alias] = deviceId;
                }
                table.Last[name] = metric;
            }
            readings.Add(new SparkplugReading(deviceId, metric, QualityOf(metric)));
        }
        table.Alive = true;
        return readings;
    }

    private static SparkplugMetric Resolve(MetricState? table, SparkplugMetric metric, out bool known)
    {
        var name = metric.Name;
        if (name is null && metric.Alias is { } alias && table is not null && table.Aliases.TryGetValue(alias, out var aliased)) name = aliased;
        known = name is not null && table is not null && table.Types.ContainsKey(name);
        var type = metric.DataType;
        if (type == SparkplugDataType.Unknown && known) type = table!.Types[name!];
        var value = metric.Value;
        // Without a datatype on the wire the codec left integers raw; now the birth says what they are.
        if (metric.DataType == SparkplugDataType.Unknown && type != SparkplugDataType.Unknown && value is ulong raw) value = SparkplugCodec.IntegerValue(raw, type);
        if (metric.DataType == SparkplugDataType.Unknown && type.IsArray() && value is byte[] packed) value = SparkplugValues.UnpackArray(type, packed);
        return metric with { Name = name, DataType = type, Value = value };
    }

    private static IEnumerable<SparkplugReading> Stale(MetricState table, string? deviceId) =>
        table.Last.Values
            .Where(m => m.Name is not SparkplugEdgeClient.BdSeqMetric && m.Name?.StartsWith("Node Control/", StringComparison.Ordinal) != true)
            .Select(m => new SparkplugReading(deviceId, m, SparkplugQuality.Stale));

    /// <summary>The "Quality" property (Sparkplug 3.0 §6.4.8 lets metrics carry it): 192 good, 500 stale, anything else bad.</summary>
    private static SparkplugQuality QualityOf(SparkplugMetric metric) =>
        metric.Properties?["Quality"]?.Value switch
        {
            null => SparkplugQuality.Good,
            long q => q == 192 ? SparkplugQuality.Good : q == 500 ? SparkplugQuality.Stale : SparkplugQuality.Bad,
            ulong q => q == 192 ? SparkplugQuality.Good : q == 500 ? SparkplugQuality.Stale : SparkplugQuality.Bad,
            _ => SparkplugQuality.Good,
        };

    private static long? BdSeqOf(SparkplugPayload payload) =>
        payload.Metrics.FirstOrDefault(m => m.Name == SparkplugEdgeClient.BdSeqMetric)?.Value switch
        {
            long l => l,
            ulong u => (long)u,
            _ => null,
        };

    private static int? Next(ulong? seq) => seq is { } s ? (int)((s + 1) % 256) : null;

    private class MetricState
    {
        public Dictionary<ulong, string> Aliases { get; } = [];
        public Dictionary<string, SparkplugDataType> Types { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, SparkplugMetric> Last { get; } = new(StringComparer.Ordinal);
        public bool Alive { get; set; }
    }

    private sealed class EdgeState
    {
        public bool Born { get; set; }
        public long? BdSeq { get; set; }
        public int? ExpectedSeq { get; set; }
        public MetricState Node { get; } = new();
        public Dictionary<string, MetricState> Devices { get; } = new(StringComparer.Ordinal);
        /// <summary>Aliases are unique across an edge node and its devices (§6.4.6); remembered for diagnosis.</summary>
        public Dictionary<ulong, string?> AliasOwner { get; } = [];
    }
}
