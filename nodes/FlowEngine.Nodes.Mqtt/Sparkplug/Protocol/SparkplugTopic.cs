namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

internal enum SparkplugMessageType
{
    NBIRTH,
    NDEATH,
    DBIRTH,
    DDEATH,
    NDATA,
    DDATA,
    NCMD,
    DCMD,
    STATE,
}

/// <summary>
/// A Sparkplug B topic (Sparkplug 3.0 §4.1): <c>spBv1.0/group/TYPE/edge[/device]</c>, or <c>spBv1.0/STATE/host</c> for a
/// host application's state.
/// </summary>
internal sealed record SparkplugTopic(string GroupId, SparkplugMessageType Type, string EdgeNodeId, string? DeviceId)
{
    public const string Namespace = "spBv1.0";

    public static string Format(string groupId, SparkplugMessageType type, string edgeNodeId, string? deviceId = null) =>
        deviceId is { Length: > 0 } ? $"{Namespace}/{groupId}/{type}/{edgeNodeId}/{deviceId}" : $"{Namespace}/{groupId}/{type}/{edgeNodeId}";

    public static string State(string hostId) => $"{Namespace}/STATE/{hostId}";

    public override string ToString() => Type == SparkplugMessageType.STATE ? State(EdgeNodeId) : Format(GroupId, Type, EdgeNodeId, DeviceId);

    /// <summary>Parses a topic; null when it is not a Sparkplug B topic (wrong namespace, unknown type, wrong level count).</summary>
    public static SparkplugTopic? Parse(string topic)
    {
        var parts = topic.Split('/');
        if (parts.Length < 3 || parts[0] != Namespace) return null;
        if (parts[1] == "STATE") return parts.Length == 3 && parts[2].Length > 0 ? new SparkplugTopic("", SparkplugMessageType.STATE, parts[2], null) : null;
        if (parts.Length is < 4 or > 5 || !Enum.TryParse<SparkplugMessageType>(parts[2], ignoreCase: false, out var type) || type == SparkplugMessageType.STATE) return null;
        var deviceLevel = type is SparkplugMessageType.DBIRTH or SparkplugMessageType.DDEATH or SparkplugMessageType.DDATA or SparkplugMessageType.DCMD;
        if (deviceLevel != (parts.Length == 5)) return null;
        if (parts.Skip(1).Any(p => p.Length == 0)) return null;
        return new SparkplugTopic(parts[1], type, parts[3], deviceLevel ? parts[4] : null);
    }

    /// <summary>
    /// Whether an id may be used as a topic level: Sparkplug 3.0 §4.1.1 reserves '/', '+' and '#' (they would change
    /// the topic's structure). Returns the reason when not.
    /// </summary>
    public static string? InvalidId(string id) =>
        id.Length == 0 ? "must not be empty"
        : id.IndexOfAny(['/', '+', '#']) >= 0 ? $"\"{id}\" must not contain '/', '+' or '#'"
        : null;
}
