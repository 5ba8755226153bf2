using System.Buffers;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol.Wire;
using Google.Protobuf;

namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

/// <summary>
/// Encodes and decodes Sparkplug B payloads (Sparkplug 3.0 §6.4) through the protobuf classes generated from our own
/// sparkplug_payload.proto. Where a value goes follows §6.4.16: Int8, Int16, Int32, UInt8, UInt16 in int_value
/// (signed values as 32-bit two's complement), UInt32, Int64, UInt64 and DateTime in long_value, arrays packed into
/// bytes_value. Decoding also accepts UInt32 in int_value, which some implementations write.
/// </summary>
internal static class SparkplugCodec
{
    public static byte[] Encode(SparkplugPayload payload) => ToWire(payload).ToByteArray();

    public static SparkplugPayload Decode(ReadOnlySequence<byte> bytes)
    {
        SpbPayload wire;
        try
        {
            wire = SpbPayload.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new SparkplugFormatException("not a Sparkplug B payload: " + ex.Message, ex);
        }
        return FromWire(wire);
    }

    public static SparkplugPayload Decode(byte[] bytes) => Decode(new ReadOnlySequence<byte>(bytes));

    // ---- encode ----

    private static SpbPayload ToWire(SparkplugPayload payload)
    {
        var wire = new SpbPayload();
        if (payload.Timestamp is { } timestamp) wire.Timestamp = timestamp;
        if (payload.Seq is { } seq) wire.Seq = seq;
        if (payload.Uuid is { } uuid) wire.Uuid = uuid;
        if (payload.Body is { } body) wire.Body = ByteString.CopyFrom(body);
        foreach (var metric in payload.Metrics) wire.Metrics.Add(ToWire(metric));
        return wire;
    }

    private static SpbMetric ToWire(SparkplugMetric metric)
    {
        var wire = new SpbMetric();
        if (metric.Name is { } name) wire.Name = name;
        if (metric.Alias is { } alias) wire.Alias = alias;
        if (metric.Timestamp is { } timestamp) wire.Timestamp = timestamp;
        if (metric.DataType != SparkplugDataType.Unknown) wire.Datatype = (uint)metric.DataType;
        if (metric.IsHistorical) wire.IsHistorical = true;
        if (metric.IsTransient) wire.IsTransient = true;
        if (metric.MetaData is { } meta) wire.Metadata = ToWire(meta);
        if (metric.Properties is { } properties) wire.Properties = ToWire(properties);
        if (metric.IsNull || metric.Value is null)
        {
            wire.IsNull = true;
            return wire;
        }
        var value = SparkplugValues.Coerce(metric.Value, metric.DataType);
        switch (metric.DataType)
        {
            case SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32:
                wire.IntValue = unchecked((uint)(int)(long)value!);
                break;
            case SparkplugDataType.UInt8 or SparkplugDataType.UInt16:
                wire.IntValue = (uint)(ulong)value!;
                break;
            case SparkplugDataType.Int64:
                wire.LongValue = unchecked((ulong)(long)value!);
                break;
            case SparkplugDataType.UInt32 or SparkplugDataType.UInt64:
                wire.LongValue = (ulong)value!;
                break;
            case SparkplugDataType.DateTime:
                wire.LongValue = SparkplugValues.ToEpochMilliseconds((DateTime)value!);
                break;
            case SparkplugDataType.Float:
                wire.FloatValue = (float)value!;
                break;
            case SparkplugDataType.Double:
                wire.DoubleValue = (double)value!;
                break;
            case SparkplugDataType.Boolean:
                wire.BooleanValue = (bool)value!;
                break;
            case SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.UUID:
                wire.StringValue = (string)value!;
                break;
            case SparkplugDataType.Bytes or SparkplugDataType.File:
                wire.BytesValue = ByteString.CopyFrom((byte[])value!);
                break;
            case SparkplugDataType.DataSet:
                wire.DatasetValue = ToWire((SparkplugDataSet)value!);
                break;
            case SparkplugDataType.Template:
                wire.TemplateValue = ToWire((SparkplugTemplate)value!);
                break;
            case var t when t.IsArray():
                wire.BytesValue = ByteString.CopyFrom(SparkplugValues.PackArray(t, value!));
                break;
            default:
                throw new SparkplugFormatException($"metric \"{metric.Name}\": data type {metric.DataType} cannot be a metric value");
        }
        return wire;
    }

    private static SpbMetaData ToWire(SparkplugMetaData meta)
    {
        var wire = new SpbMetaData();
        if (meta.IsMultiPart is { } multi) wire.IsMultiPart = multi;
        if (meta.ContentType is { } contentType) wire.ContentType = contentType;
        if (meta.Size is { } size) wire.Size = size;
        if (meta.Seq is { } seq) wire.Seq = seq;
        if (meta.FileName is { } fileName) wire.FileName = fileName;
        if (meta.FileType is { } fileType) wire.FileType = fileType;
        if (meta.Md5 is { } md5) wire.Md5 = md5;
        if (meta.Description is { } description) wire.Description = description;
        return wire;
    }

    private static SpbPropertySet ToWire(SparkplugPropertySet set)
    {
        var wire = new SpbPropertySet();
        foreach (var (key, item) in set.Items)
        {
            wire.Keys.Add(key);
            wire.Values.Add(ToWire(key, item));
        }
        return wire;
    }

    private static SpbPropertyValue ToWire(string key, SparkplugPropertyValue property)
    {
        var wire = new SpbPropertyValue { Type = (uint)property.Type };
        if (property.Value is null)
        {
            wire.IsNull = true;
            return wire;
        }
        object? value;
        try
        {
            value = SparkplugValues.Coerce(property.Value, property.Type);
        }
        catch (SparkplugFormatException ex)
        {
            throw new SparkplugFormatException($"property \"{key}\": {ex.Message}", ex);
        }
        switch (property.Type)
        {
            case SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32: wire.IntValue = unchecked((uint)(int)(long)value!); break;
            case SparkplugDataType.UInt8 or SparkplugDataType.UInt16: wire.IntValue = (uint)(ulong)value!; break;
            case SparkplugDataType.Int64: wire.LongValue = unchecked((ulong)(long)value!); break;
            case SparkplugDataType.UInt32 or SparkplugDataType.UInt64: wire.LongValue = (ulong)value!; break;
            case SparkplugDataType.DateTime: wire.LongValue = SparkplugValues.ToEpochMilliseconds((DateTime)value!); break;
            case SparkplugDataType.Float: wire.FloatValue = (float)value!; break;
            case SparkplugDataType.Double: wire.DoubleValue = (double)value!; break;
            case SparkplugDataType.Boolean: wire.BooleanValue = (bool)value!; break;
            case SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.UUID: wire.StringValue = (string)value!; break;
            case SparkplugDataType.PropertySet: wire.PropertysetValue = ToWire((SparkplugPropertySet)value!); break;
            case SparkplugDataType.PropertySetList:
                wire.PropertysetsValue = new SpbPropertySetList();
                foreach (var set in (IReadOnlyList<SparkplugPropertySet>)value!) wire.PropertysetsValue.Propertyset.Add(ToWire(set));
                break;
            default: throw new SparkplugFormatException($"property \"{key}\": data type {property.Type} is not allowed for properties");
        }
        return wire;
    }

    private static SpbDataSet ToWire(SparkplugDataSet dataSet)
    {
        if (dataSet.Columns.Count != dataSet.Types.Count) throw new SparkplugFormatException($"DataSet has {dataSet.Columns.Count} columns but {dataSet.Types.Count} types");
        var wire = new SpbDataSet { NumOfColumns = (ulong)dataSet.Columns.Count };
        wire.Columns.AddRange(dataSet.Columns);
        wire.Types_.AddRange(dataSet.Types.Select(t => (uint)t));
        for (var r = 0; r < dataSet.Rows.Count; r++)
        {
            var row = dataSet.Rows[r];
            if (row.Count != dataSet.Columns.Count) throw new SparkplugFormatException($"DataSet row {r} has {row.Count} cells, expected {dataSet.Columns.Count}");
            var wireRow = new SpbDataSetRow();
            for (var c = 0; c < row.Count; c++)
            {
                var cell = new SpbDataSetValue();
                if (row[c] is not null)
                {
                    try
                    {
                        SetDataSetValue(cell, dataSet.Types[c], SparkplugValues.Coerce(row[c], dataSet.Types[c])!);
                    }
                    catch (SparkplugFormatException ex)
                    {
                        throw new SparkplugFormatException($"DataSet row {r} column \"{dataSet.Columns[c]}\": {ex.Message}", ex);
                    }
                }
                wireRow.Elements.Add(cell);
            }
            wire.Rows.Add(wireRow);
        }
        return wire;
    }

    private static void SetDataSetValue(SpbDataSetValue cell, SparkplugDataType type, object value)
    {
        switch (type)
        {
            case SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32: cell.IntValue = unchecked((uint)(int)(long)value); break;
            case SparkplugDataType.UInt8 or SparkplugDataType.UInt16: cell.IntValue = (uint)(ulong)value; break;
            case SparkplugDataType.Int64: cell.LongValue = unchecked((ulong)(long)value); break;
            case SparkplugDataType.UInt32 or SparkplugDataType.UInt64: cell.LongValue = (ulong)value; break;
            case SparkplugDataType.DateTime: cell.LongValue = SparkplugValues.ToEpochMilliseconds((DateTime)value); break;
            case SparkplugDataType.Float: cell.FloatValue = (float)value; break;
            case SparkplugDataType.Double: cell.DoubleValue = (double)value; break;
            case SparkplugDataType.Boolean: cell.BooleanValue = (bool)value; break;
            case SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.UUID: cell.StringValue = (string)value; break;
            default: throw new SparkplugFormatException($"data type {type} is not allowed in a DataSet");
        }
    }

    private static SpbTemplate ToWire(SparkplugTemplate template)
    {
        var wire = new SpbTemplate();
        if (template.Version is { } version) wire.Version = version;
        if (template.TemplateRef is { } templateRef) wire.TemplateRef = templateRef;
        wire.IsDefinition = template.IsDefinition;
        foreach (var metric in template.Metrics) wire.Metrics.Add(ToWire(metric));
        foreach (var parameter in template.Parameters)
        {
            var p = new SpbTemplateParameter { Name = parameter.Name, Type = (uint)parameter.Type };
            if (parameter.Value is not null)
            {
                var value = SparkplugValues.Coerce(parameter.Value, parameter.Type)!;
                switch (parameter.Type)
                {
                    case SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32: p.IntValue = unchecked((uint)(int)(long)value); break;
                    case SparkplugDataType.UInt8 or SparkplugDataType.UInt16: p.IntValue = (uint)(ulong)value; break;
                    case SparkplugDataType.Int64: p.LongValue = unchecked((ulong)(long)value); break;
                    case SparkplugDataType.UInt32 or SparkplugDataType.UInt64: p.LongValue = (ulong)value; break;
                    case SparkplugDataType.DateTime: p.LongValue = SparkplugValues.ToEpochMilliseconds((DateTime)value); break;
                    case SparkplugDataType.Float: p.FloatValue = (float)value; break;
                    case SparkplugDataType.Double: p.DoubleValue = (double)value; break;
                    case SparkplugDataType.Boolean: p.BooleanValue = (bool)value; break;
                    case SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.UUID: p.StringValue = (string)value; break;
                    default: throw new SparkplugFormatException($"template parameter \"{parameter.Name}\": data type {parameter.Type} is not allowed");
                }
            }
            wire.Parameters.Add(p);
        }
        return wire;
    }

    // ---- decode ----

    private static SparkplugPayload FromWire(SpbPayload wire) => new()
    {
        Timestamp = wire.HasTimestamp ? wire.Timestamp : null,
        Seq = wire.HasSeq ? wire.Seq : null,
        Uuid = wire.HasUuid ? wire.Uuid : null,
        Body = wire.HasBody ? wire.Body.ToByteArray() : null,
        Metrics = wire.Metrics.Select(FromWire).ToList(),
    };

    private static SparkplugMetric FromWire(SpbMetric wire)
    {
        var type = wire.HasDatatype ? SparkplugDataTypes.FromNumber(wire.Datatype) ?? SparkplugDataType.Unknown : SparkplugDataType.Unknown;
        var isNull = wire.HasIsNull && wire.IsNull;
        object? value = null;
        if (!isNull && wire.ValueCase != SpbMetric.ValueOneofCase.None)
        {
            try
            {
                value = MetricValue(wire, type);
            }
            catch (SparkplugFormatException ex)
            {
                throw new SparkplugFormatException($"metric \"{(wire.HasName ? wire.Name : "alias " + wire.Alias)}\": {ex.Message}", ex);
            }
        }
        return new SparkplugMetric
        {
            Name = wire.HasName ? wire.Name : null,
            Alias = wire.HasAlias ? wire.Alias : null,
            Timestamp = wire.HasTimestamp ? wire.Timestamp : null,
            DataType = type,
            IsHistorical = wire.IsHistorical,
            IsTransient = wire.IsTransient,
            IsNull = isNull || wire.ValueCase == SpbMetric.ValueOneofCase.None,
            Value = value,
            Properties = wire.Properties is { } properties ? FromWire(properties) : null,
            MetaData = wire.Metadata is { } meta ? FromWire(meta) : null,
        };
    }

    /// <summary>
    /// The value of a metric. Without a datatype (data messages may leave it to the birth certificate) the value is
    /// taken as the field it came in; the receiver converts it once it knows the type from the birth.
    /// </summary>
    private static object? MetricValue(SpbMetric wire, SparkplugDataType type) => wire.ValueCase switch
    {
        SpbMetric.ValueOneofCase.IntValue => IntegerValue(wire.IntValue, type),
        SpbMetric.ValueOneofCase.LongValue => IntegerValue(wire.LongValue, type),
        SpbMetric.ValueOneofCase.FloatValue => type == SparkplugDataType.Double ? (object)(double)wire.FloatValue : wire.FloatValue,
        SpbMetric.ValueOneofCase.DoubleValue => type == SparkplugDataType.Float ? (object)(float)wire.DoubleValue : wire.DoubleValue,
        SpbMetric.ValueOneofCase.BooleanValue => wire.BooleanValue,
        SpbMetric.ValueOneofCase.StringValue => wire.StringValue,
        SpbMetric.ValueOneofCase.BytesValue => type.IsArray() ? SparkplugValues.UnpackArray(type, wire.BytesValue.Span) : wire.BytesValue.ToByteArray(),
        SpbMetric.ValueOneofCase.DatasetValue => FromWire(wire.DatasetValue),
        SpbMetric.ValueOneofCase.TemplateValue => FromWire(wire.TemplateValue),
        _ => null,
    };

    /// <summary>An integer field read as its data type: signed types sign-extend from their own width.</summary>
    public static object IntegerValue(ulong raw, SparkplugDataType type) => type switch
    {
        SparkplugDataType.Int8 => (long)unchecked((sbyte)raw),
        SparkplugDataType.Int16 => (long)unchecked((short)raw),
        SparkplugDataType.Int32 => (long)unchecked((int)raw),
        SparkplugDataType.Int64 => unchecked((long)raw),
        SparkplugDataType.UInt8 => raw & 0xFF,
        SparkplugDataType.UInt16 => raw & 0xFFFF,
        SparkplugDataType.UInt32 => raw & 0xFFFF_FFFF,
        SparkplugDataType.DateTime => SparkplugValues.FromEpochMilliseconds(raw),
        SparkplugDataType.Float => (float)raw,
        SparkplugDataType.Double => (double)raw,
        SparkplugDataType.Boolean => raw != 0,
        _ => raw,
    };

    private static SparkplugMetaData FromWire(SpbMetaData wire) => new()
    {
        IsMultiPart = wire.HasIsMultiPart ? wire.IsMultiPart : null,
        ContentType = wire.HasContentType ? wire.ContentType : null,
        Size = wire.HasSize ? wire.Size : null,
        Seq = wire.HasSeq ? wire.Seq : null,
        FileName = wire.HasFileName ? wire.FileName : null,
        FileType = wire.HasFileType ? wire.FileType : null,
        Md5 = wire.HasMd5 ? wire.Md5 : null,
        Description = wire.HasDescription ? wire.Description : null,
    };

    private static SparkplugPropertySet FromWire(SpbPropertySet wire)
    {
        if (wire.Keys.Count != wire.Values.Count) throw new SparkplugFormatException($"property set has {wire.Keys.Count} keys but {wire.Values.Count} values");
        var items = new List<KeyValuePair<string, SparkplugPropertyValue>>(wire.Keys.Count);
        for (var i = 0; i < wire.Keys.Count; i++) items.Add(new(wire.Keys[i], FromWire(wire.Values[i])));
        return new SparkplugPropertySet(items);
    }

    private static SparkplugPropertyValue FromWire(SpbPropertyValue wire)
    {
        var type = wire.HasType ? SparkplugDataTypes.FromNumber(wire.Type) ?? SparkplugDataType.Unknown : SparkplugDataType.Unknown;
        if (wire.HasIsNull && wire.IsNull) return new SparkplugPropertyValue(type, null);
        object? value = wire.ValueCase switch
        {
            SpbPropertyValue.ValueOneofCase.IntValue => IntegerValue(wire.IntValue, type),
            SpbPropertyValue.ValueOneofCase.LongValue => IntegerValue(wire.LongValue, type),
            SpbPropertyValue.ValueOneofCase.FloatValue => wire.FloatValue,
            SpbPropertyValue.ValueOneofCase.DoubleValue => wire.DoubleValue,
            SpbPropertyValue.ValueOneofCase.BooleanValue => wire.BooleanValue,
            SpbPropertyValue.ValueOneofCase.StringValue => wire.StringValue,
            SpbPropertyValue.ValueOneofCase.PropertysetValue => FromWire(wire.PropertysetValue),
            SpbPropertyValue.ValueOneofCase.PropertysetsValue => wire.PropertysetsValue.Propertyset.Select(FromWire).ToList(),
            _ => null,
        };
        return new SparkplugPropertyValue(type, value);
    }

    private static SparkplugDataSet FromWire(SpbDataSet wire)
    {
        var types = wire.Types_.Select(t => SparkplugDataTypes.FromNumber(t) ?? SparkplugDataType.Unknown).ToList();
        if (types.Count != wire.Columns.Count) throw new SparkplugFormatException($"DataSet has {wire.Columns.Count} columns but {types.Count} types");
        var rows = new List<IReadOnlyList<object?>>(wire.Rows.Count);
        foreach (var row in wire.Rows)
        {
            var cells = new List<object?>(types.Count);
            for (var c = 0; c < types.Count; c++)
            {
                var cell = c < row.Elements.Count ? row.Elements[c] : null;
                cells.Add(cell?.ValueCase switch
                {
                    SpbDataSetValue.ValueOneofCase.IntValue => IntegerValue(cell.IntValue, types[c]),
                    SpbDataSetValue.ValueOneofCase.LongValue => IntegerValue(cell.LongValue, types[c]),
                    SpbDataSetValue.ValueOneofCase.FloatValue => cell.FloatValue,
                    SpbDataSetValue.ValueOneofCase.DoubleValue => cell.DoubleValue,
                    SpbDataSetValue.ValueOneofCase.BooleanValue => cell.BooleanValue,
                    SpbDataSetValue.ValueOneofCase.StringValue => cell.StringValue,
                    _ => null,
                });
            }
            rows.Add(cells);
        }
        return new SparkplugDataSet(wire.Columns.ToList(), types, rows);
    }

    private static SparkplugTemplate FromWire(SpbTemplate wire) => new()
    {
        Version = wire.HasVersion ? wire.Version : null,
        TemplateRef = wire.HasTemplateRef ? wire.TemplateRef : null,
        IsDefinition = wire.IsDefinition,
        Metrics = wire.Metrics.Select(FromWire).ToList(),
        Parameters = wire.Parameters.Select(p =>
        {
            var type = SparkplugDataTypes.FromNumber(p.Type) ?? SparkplugDataType.Unknown;
            object? value = p.ValueCase switch
            {
                SpbTemplateParameter.ValueOneofCase.IntValue => IntegerValue(p.IntValue, type),
                SpbTemplateParameter.ValueOneofCase.LongValue => IntegerValue(p.LongValue, type),
                SpbTemplateParameter.ValueOneofCase.FloatValue => p.FloatValue,
                SpbTemplateParameter.ValueOneofCase.DoubleValue => p.DoubleValue,
                SpbTemplateParameter.ValueOneofCase.BooleanValue => p.BooleanValue,
                SpbTemplateParameter.ValueOneofCase.StringValue => p.StringValue,
                _ => null,
            };
            return new SparkplugTemplateParameter(p.Name, type, value);
        }).ToList(),
    };
}
