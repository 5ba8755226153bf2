namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

/// <summary>
/// One decoded or to-be-encoded Sparkplug B payload (Sparkplug 3.0 §6.4.1). Values are CLR values chosen by data type:
/// signed integers <see cref="long"/>, unsigned integers <see cref="ulong"/>, <see cref="float"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="string"/> (String, Text, UUID), <see cref="DateTime"/> (UTC), <see cref="byte"/>[]
/// (Bytes, File), <see cref="SparkplugDataSet"/>, <see cref="SparkplugTemplate"/>, and arrays of the scalar kinds.
/// </summary>
internal sealed record SparkplugPayload
{
    /// <summary>Milliseconds since the Unix epoch, UTC.</summary>
    public ulong? Timestamp { get; init; }
    public ulong? Seq { get; init; }
    public string? Uuid { get; init; }
    public byte[]? Body { get; init; }
    public IReadOnlyList<SparkplugMetric> Metrics { get; init; } = [];
}

internal sealed record SparkplugMetric
{
    public string? Name { get; init; }
    public ulong? Alias { get; init; }
    /// <summary>Milliseconds since the Unix epoch, UTC.</summary>
    public ulong? Timestamp { get; init; }
    public SparkplugDataType DataType { get; init; }
    public bool IsHistorical { get; init; }
    public bool IsTransient { get; init; }
    public bool IsNull { get; init; }
    public object? Value { get; init; }
    public SparkplugPropertySet? Properties { get; init; }
    public SparkplugMetaData? MetaData { get; init; }
}

internal sealed record SparkplugMetaData
{
    public bool? IsMultiPart { get; init; }
    public string? ContentType { get; init; }
    public ulong? Size { get; init; }
    public ulong? Seq { get; init; }
    public string? FileName { get; init; }
    public string? FileType { get; init; }
    public string? Md5 { get; init; }
    public string? Description { get; init; }
}

/// <summary>One property value: scalar types as for metrics, plus nested sets (PropertySet, PropertySetList).</summary>
internal sealed record SparkplugPropertyValue(SparkplugDataType Type, object? Value);

/// <summary>Ordered key/value properties of a metric (Sparkplug 3.0 §6.4.8), e.g. "engUnit", "Quality".</summary>
internal sealed record SparkplugPropertySet(IReadOnlyList<KeyValuePair<string, SparkplugPropertyValue>> Items)
{
    public SparkplugPropertyValue? this[string key] => Items.FirstOrDefault(i => i.Key == key).Value;
}

/// <summary>A table value (Sparkplug 3.0 §6.4.11): typed columns, rows of cells (null where a cell has no value).</summary>
internal sealed record SparkplugDataSet(IReadOnlyList<string> Columns, IReadOnlyList<SparkplugDataType> Types, IReadOnlyList<IReadOnlyList<object?>> Rows);

internal sealed record SparkplugTemplateParameter(string Name, SparkplugDataType Type, object? Value);

/// <summary>A template definition or instance (Sparkplug 3.0 §6.4.14): nested metrics plus parameters.</summary>
internal sealed record SparkplugTemplate
{
    public string? Version { get; init; }
    public string? TemplateRef { get; init; }
    public bool IsDefinition { get; init; }
    public IReadOnlyList<SparkplugMetric> Metrics { get; init; } = [];
    public IReadOnlyList<SparkplugTemplateParameter> Parameters { get; init; } = [];
}

/// <summary>A payload that is not a valid Sparkplug B protobuf message, or a value that does not fit its data type.</summary>
internal sealed class SparkplugFormatException(string message, Exception? inner = null) : Exception(message, inner);
