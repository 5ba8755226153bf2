using System.Buffers;
using System.Buffers.Binary;

namespace FlowEngine.Nodes.OpcUa.Protocol.Encoding;

/// <summary>Writes the OPC UA Binary encoding (Part 6 §5.2): little-endian, length-prefixed strings and arrays.</summary>
public sealed class UaBinaryWriter
{
    private static readonly DateTime Epoch = new(1601, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly ArrayBufferWriter<byte> _buffer;

    public UaBinaryWriter(int capacity = 256) => _buffer = new ArrayBufferWriter<byte>(capacity);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteSByte(sbyte value) => WriteByte(unchecked((byte)value));

    public void WriteInt16(short value) { BinaryPrimitives.WriteInt16LittleEndian(_buffer.GetSpan(2), value); _buffer.Advance(2); }
    public void WriteUInt16(ushort value) { BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value); _buffer.Advance(2); }
    public void WriteInt32(int value) { BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }
    public void WriteUInt32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }
    public void WriteInt64(long value) { BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }
    public void WriteUInt64(ulong value) { BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }
    public void WriteFloat(float value) { BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }
    public void WriteDouble(double value) { BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>Null is length -1, as Part 6 §5.2.2.4 distinguishes null from empty.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var count = Utf8.Strict.GetByteCount(value);
        WriteInt32(count);
        Utf8.Strict.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    public void WriteByteString(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }
        WriteInt32(value.Length);
        _buffer.Write(value);
    }

    public void WriteByteString(byte[]? value) => WriteByteString(value, value is null);

    /// <summary>100 ns ticks since 1601-01-01 UTC; MinValue (and anything before 1601) is 0, MaxValue is Int64.MaxValue (§5.2.2.5).</summary>
    public void WriteDateTime(DateTime? value)
    {
        if (value is not { } time || time <= Epoch)
        {
            WriteInt64(0);
            return;
        }
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        WriteInt64(utc == DateTime.MaxValue ? long.MaxValue : utc.Ticks - Epoch.Ticks);
    }

    /// <summary>Data1..Data3 little-endian then 8 bytes as-is: exactly .NET's Guid byte layout.</summary>
    public void WriteGuid(Guid value)
    {
        value.TryWriteBytes(_buffer.GetSpan(16));
        _buffer.Advance(16);
    }

    public void WriteStatusCode(StatusCode value) => WriteUInt32(value.Code);

    public void WriteNodeId(NodeId? value) => WriteNodeId(value ?? NodeId.Null, 0);

    private void WriteNodeId(NodeId value, byte flags)
    {
        switch (value.IdType)
        {
            case NodeIdType.Numeric:
                var number = (uint)value.Identifier;
                if (value.NamespaceIndex == 0 && number <= byte.MaxValue)
                {
                    WriteByte((byte)(0x00 | flags));
                    WriteByte((byte)number);
                }
                else if (value.NamespaceIndex <= byte.MaxValue && number <= ushort.MaxValue)
                {
                    WriteByte((byte)(0x01 | flags));
                    WriteByte((byte)value.NamespaceIndex);
                    WriteUInt16((ushort)number);
                }
                else
                {
                    WriteByte((byte)(0x02 | flags));
                    WriteUInt16(value.NamespaceIndex);
                    WriteUInt32(number);
                }
                break;
            case NodeIdType.String:
                WriteByte((byte)(0x03 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteString((string)value.Identifier);
                break;
            case NodeIdType.Guid:
                WriteByte((byte)(0x04 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteGuid((Guid)value.Identifier);
                break;
            default:
                WriteByte((byte)(0x05 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteByteString((byte[])value.Identifier);
                break;
        }
    }

    public void WriteExpandedNodeId(ExpandedNodeId? value)
    {
        value ??= new ExpandedNodeId(NodeId.Null);
        byte flags = 0;
        if (value.NamespaceUri is not null) flags |= 0x80;
        if (value.ServerIndex != 0) flags |= 0x40;
        WriteNodeId(value.NodeId, flags);
        if (value.NamespaceUri is not null) WriteString(value.NamespaceUri);
        if (value.ServerIndex != 0) WriteUInt32(value.ServerIndex);
    }

    public void WriteQualifiedName(QualifiedName? value)
    {
        WriteUInt16(value?.NamespaceIndex ?? 0);
        WriteString(value?.Name);
    }

    public void WriteLocalizedText(LocalizedText? value)
    {
        byte mask = 0;
        if (value?.Locale is not null) mask |= 0x01;
        if (value?.Text is not null) mask |= 0x02;
        WriteByte(mask);
        if ((mask & 0x01) != 0) WriteString(value!.Locale);
        if ((mask & 0x02) != 0) WriteString(value!.Text);
    }

    public void WriteExtensionObject(ExtensionObject? value)
    {
        value ??= ExtensionObject.Null;
        WriteNodeId(value.TypeId);
        if (value.Encoding == ExtensionObject.NoBody || value.Body is null)
        {
            WriteByte(ExtensionObject.NoBody);
            return;
        }
        WriteByte(value.Encoding);
        WriteByteString(value.Body);
    }

    /// <summary>Writes a structure as an ExtensionObject with a binary body, prefixed by its length.</summary>
    public void WriteExtensionObject(uint encodingId, Action<UaBinaryWriter> body)
    {
        WriteNodeId(new NodeId(0, encodingId));
        WriteByte(ExtensionObject.BinaryBody);
        var inner = new UaBinaryWriter();
        body(inner);
        WriteByteString(inner.WrittenSpan);
    }

    public void WriteDataValue(DataValue? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }
        byte mask = 0;
        if (value.Value.Type != BuiltInType.Null) mask |= 0x01;
        if (value.Status.Code != 0) mask |= 0x02;
        if (value.SourceTimestamp is not null) mask |= 0x04;
        if (value.ServerTimestamp is not null) mask |= 0x08;
        if (value.SourcePicoseconds != 0) mask |= 0x10;
        if (value.ServerPicoseconds != 0) mask |= 0x20;
        WriteByte(mask);
        if ((mask & 0x01) != 0) WriteVariant(value.Value);
        if ((mask & 0x02) != 0) WriteStatusCode(value.Status);
        if ((mask & 0x04) != 0) WriteDateTime(value.SourceTimestamp);
        if ((mask & 0x10) != 0) WriteUInt16(value.SourcePicoseconds);
        if ((mask & 0x08) != 0) WriteDateTime(value.ServerTimestamp);
        if ((mask & 0x20) != 0) WriteUInt16(value.ServerPicoseconds);
    }

    public void WriteVariant(Variant? value)
    {
        if (value is null || value.Type == BuiltInType.Null)
        {
            WriteByte(0);
            return;
        }
        if (!value.IsArray)
        {
            WriteByte((byte)value.Type);
            WriteScalar(value.Type, value.Value);
            return;
        }
        var items = (object?[]?)value.Value;
        var hasDimensions = value.Dimensions is { Length: > 1 };
        WriteByte((byte)((byte)value.Type | 0x80 | (hasDimensions ? 0x40 : 0)));
        if (items is null)
        {
            WriteInt32(-1);
        }
        else
        {
            WriteInt32(items.Length);
            foreach (var item in items) WriteScalar(value.Type, item);
        }
        if (hasDimensions) WriteArray(value.Dimensions!, WriteInt32);
    }

    public void WriteDiagnosticInfo(DiagnosticInfo? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }
        byte mask = 0;
        if (value.SymbolicId is not null) mask |= 0x01;
        if (value.NamespaceUri is not null) mask |= 0x02;
        if (value.LocalizedText is not null) mask |= 0x04;
        if (value.Locale is not null) mask |= 0x08;
        if (value.AdditionalInfo is not null) mask |= 0x10;
        if (value.InnerStatusCode is not null) mask |= 0x20;
        if (value.Inner is not null) mask |= 0x40;
        WriteByte(mask);
        // Part 6 §5.2.2.12 field order: Locale comes before LocalizedText although its mask bit is higher.
        if (value.SymbolicId is { } symbolic) WriteInt32(symbolic);
        if (value.NamespaceUri is { } ns) WriteInt32(ns);
        if (value.Locale is { } locale) WriteInt32(locale);
        if (value.LocalizedText is { } text) WriteInt32(text);
        if (value.AdditionalInfo is not null) WriteString(value.AdditionalInfo);
        if (value.InnerStatusCode is { } inner) WriteStatusCode(inner);
        if (value.Inner is not null) WriteDiagnosticInfo(value.Inner);
    }

    /// <summary>Writes one element of a built-in type; the CLR value must have the type's CLR type (see <see cref="Variant.ClrType"/>).</summary>
    public void WriteScalar(BuiltInType type, object? value)
    {
        switch (type)
        {
            case BuiltInType.Boolean: WriteBoolean((bool)value!); break;
            case BuiltInType.SByte: WriteSByte((sbyte)value!); break;
            case BuiltInType.Byte: WriteByte((byte)value!); break;
            case BuiltInType.Int16: WriteInt16((short)value!); break;
            case BuiltInType.UInt16: WriteUInt16((ushort)value!); break;
            case BuiltInType.Int32: WriteInt32((int)value!); break;
            case BuiltInType.UInt32: WriteUInt32((uint)value!); break;
            case BuiltInType.Int64: WriteInt64((long)value!); break;
            case BuiltInType.UInt64: WriteUInt64((ulong)value!); break;
            case BuiltInType.Float: WriteFloat((float)value!); break;
            case BuiltInType.Double: WriteDouble((double)value!); break;
            case BuiltInType.String: WriteString((string?)value); break;
            case BuiltInType.DateTime: WriteDateTime((DateTime?)value); break;
            case BuiltInType.Guid: WriteGuid((Guid)value!); break;
            case BuiltInType.ByteString: WriteByteString((byte[]?)value); break;
            case BuiltInType.XmlElement:
                if (value is null) WriteInt32(-1);
                else WriteByteString(Utf8.Strict.GetBytes(((XmlElement)value).Xml));
                break;
            case BuiltInType.NodeId: WriteNodeId((NodeId?)value); break;
            case BuiltInType.ExpandedNodeId: WriteExpandedNodeId((ExpandedNodeId?)value); break;
            case BuiltInType.StatusCode: WriteStatusCode((StatusCode)value!); break;
            case BuiltInType.QualifiedName: WriteQualifiedName((QualifiedName?)value); break;
            case BuiltInType.LocalizedText: WriteLocalizedText((LocalizedText?)value); break;
            case BuiltInType.ExtensionObject: WriteExtensionObject((ExtensionObject?)value); break;
            case BuiltInType.DataValue: WriteDataValue((DataValue?)value); break;
            case BuiltInType.Variant: WriteVariant((Variant?)value); break;
            case BuiltInType.DiagnosticInfo: WriteDiagnosticInfo((DiagnosticInfo?)value); break;
            default: throw new UaEncodingException($"cannot encode built-in type {type}");
        }
    }

    public void WriteArray<T>(IReadOnlyCollection<T>? items, Action<T> write)
    {
        if (items is null)
        {
            WriteInt32(-1);
            return;
        }
        WriteInt32(items.Count);
        foreach (var item in items) write(item);
    }
}

/// <summary>Bytes that do not follow the OPC UA Binary encoding (or a value that cannot be encoded).</summary>
public sealed class UaEncodingException(string message) : Exception(message);
