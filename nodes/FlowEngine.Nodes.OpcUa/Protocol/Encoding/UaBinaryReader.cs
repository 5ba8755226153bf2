using System.Buffers.Binary;

namespace FlowEngine.Nodes.OpcUa.Protocol.Encoding;

/// <summary>
/// Reads the OPC UA Binary encoding. Every length is checked against the bytes left, so a hostile or corrupt
/// message fails with <see cref="UaEncodingException"/> instead of allocating or reading past the end.
/// </summary>
public sealed class UaBinaryReader(ReadOnlyMemory<byte> data)
{
    private const int MaxNesting = 64;
    private static readonly DateTime Epoch = new(1601, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private int _position;
    private int _depth;

    public int Position => _position;
    public int Remaining => data.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw new UaEncodingException($"message ends early: {count} bytes needed at offset {_position}, {Remaining} left");
        var span = data.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    public ReadOnlyMemory<byte> ReadRaw(int count)
    {
        Take(count);
        return data.Slice(_position - count, count);
    }

    public bool ReadBoolean() => Take(1)[0] != 0;
    public byte ReadByte() => Take(1)[0];
    public sbyte ReadSByte() => unchecked((sbyte)Take(1)[0]);
    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    private int ReadLength(string what)
    {
        var length = ReadInt32();
        if (length < -1) throw new UaEncodingException($"{what} length {length} is negative");
        if (length > Remaining) throw new UaEncodingException($"{what} length {length} runs past the end of the message ({Remaining} bytes left)");
        return length;
    }

    public string? ReadString()
    {
        var length = ReadLength("String");
        if (length < 0) return null;
        try
        {
            return Utf8.Strict.GetString(Take(length));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new UaEncodingException("a String is not valid UTF-8");
        }
    }

    public byte[]? ReadByteString()
    {
        var length = ReadLength("ByteString");
        return length < 0 ? null : Take(length).ToArray();
    }

    public DateTime? ReadDateTime()
    {
        var ticks = ReadInt64();
        if (ticks <= 0) return null;
        if (ticks >= DateTime.MaxValue.Ticks - Epoch.Ticks) return DateTime.MaxValue;
        return new DateTime(Epoch.Ticks + ticks, DateTimeKind.Utc);
    }

    public Guid ReadGuid() => new(Take(16));

    public StatusCode ReadStatusCode() => new(ReadUInt32());

    public NodeId ReadNodeId() => ReadNodeId(out _);

    private NodeId ReadNodeId(out byte flags)
    {
        var encoding = ReadByte();
        flags = (byte)(encoding & 0xC0);
        return (encoding & 0x3F) switch
        {
            0x00 => new NodeId(0, ReadByte()),
            0x01 => new NodeId(ReadByte(), ReadUInt16()),
            0x02 => new NodeId(ReadUInt16(), ReadUInt32()),
            0x03 => new NodeId(ReadUInt16(), NodeIdType.String, ReadString() ?? ""),
            0x04 => new NodeId(ReadUInt16(), NodeIdType.Guid, ReadGuid()),
            0x05 => new NodeId(ReadUInt16(), NodeIdType.Opaque, ReadByteString() ?? []),
            var other => throw new UaEncodingException($"NodeId encoding 0x{other:X2} is unknown"),
        };
    }

    public ExpandedNodeId ReadExpandedNodeId()
    {
        var nodeId = ReadNodeId(out var flags);
        var uri = (flags & 0x80) != 0 ? ReadString() : null;
        var server = (flags & 0x40) != 0 ? ReadUInt32() : 0;
        return new ExpandedNodeId(nodeId, uri, server);
    }

    public QualifiedName ReadQualifiedName() => new(ReadUInt16(), ReadString());

    public LocalizedText ReadLocalizedText()
    {
        var mask = ReadByte();
        var locale = (mask & 0x01) != 0 ? ReadString() : null;
        var text = (mask & 0x02) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    public ExtensionObject ReadExtensionObject()
    {
        var typeId = ReadNodeId();
        var encoding = ReadByte();
        return encoding switch
        {
            ExtensionObject.NoBody => new ExtensionObject(typeId, encoding, null),
            ExtensionObject.BinaryBody or ExtensionObject.XmlBody => new ExtensionObject(typeId, encoding, ReadByteString() ?? []),
            _ => throw new UaEncodingException($"ExtensionObject encoding {encoding} is unknown"),
        };
    }

    public DataValue ReadDataValue()
    {
        Enter();
        var mask = ReadByte();
        var value = (mask & 0x01) != 0 ? ReadVariant() : Variant.Null;
        var status = (mask & 0x02) != 0 ? ReadStatusCode() : StatusCode.Good;
        var source = (mask & 0x04) != 0 ? ReadDateTime() : null;
        var sourcePico = (mask & 0x10) != 0 ? ReadUInt16() : (ushort)0;
        var server = (mask & 0x08) != 0 ? ReadDateTime() : null;
        var serverPico = (mask & 0x20) != 0 ? ReadUInt16() : (ushort)0;
        _depth--;
        return new DataValue(value, status, source, server, sourcePico, serverPico);
    }

    public Variant ReadVariant()
    {
        Enter();
        try
        {
            var mask = ReadByte();
            var typeNumber = mask & 0x3F;
            if (typeNumber > (int)BuiltInType.DiagnosticInfo) throw new UaEncodingException($"Variant type {typeNumber} is not a built-in type");
            var type = (BuiltInType)typeNumber;
            if ((mask & 0x80) == 0)
            {
                return type == BuiltInType.Null ? Variant.Null : new Variant(type, ReadScalar(type));
            }
            var count = ReadInt32();
            if (count < -1) throw new UaEncodingException($"Variant array length {count} is negative");
            // Each element takes at least one byte, so a count beyond the bytes left is a lie.
            if (count > Remaining) throw new UaEncodingException($"Variant array of {count} elements runs past the end of the message");
            object?[]? items = null;
            if (count >= 0)
            {
                items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = ReadScalar(type);
            }
            int[]? dimensions = null;
            if ((mask & 0x40) != 0)
            {
                dimensions = ReadArray(ReadInt32) ?? [];
                long product = 1;
                foreach (var d in dimensions) product *= Math.Max(d, 0);
                if (items is not null && product != items.Length) throw new UaEncodingException($"Variant dimensions [{string.Join(",", dimensions)}] do not match {items.Length} elements");
            }
            return new Variant(type, items, true, dimensions);
        }
        finally
        {
            _depth--;
        }
    }

    public DiagnosticInfo ReadDiagnosticInfo()
    {
        Enter();
        var mask = ReadByte();
        var symbolic = (mask & 0x01) != 0 ? ReadInt32() : (int?)null;
        var ns = (mask & 0x02) != 0 ? ReadInt32() : (int?)null;
        var locale = (mask & 0x08) != 0 ? ReadInt32() : (int?)null;
        var text = (mask & 0x04) != 0 ? ReadInt32() : (int?)null;
        var info = (mask & 0x10) != 0 ? ReadString() : null;
        var innerStatus = (mask & 0x20) != 0 ? ReadStatusCode() : (StatusCode?)null;
        var inner = (mask & 0x40) != 0 ? ReadDiagnosticInfo() : null;
        _depth--;
        return new DiagnosticInfo(symbolic, ns, locale, text, info, innerStatus, inner);
    }

    private void Enter()
    {
        if (++_depth > MaxNesting) throw new UaEncodingException($"values nest deeper than {MaxNesting} levels");
    }

    public object? ReadScalar(BuiltInType type) => type switch
    {
        BuiltInType.Null => null,
        BuiltInType.Boolean => ReadBoolean(),
        BuiltInType.SByte => ReadSByte(),
        BuiltInType.Byte => ReadByte(),
        BuiltInType.Int16 => ReadInt16(),
        BuiltInType.UInt16 => ReadUInt16(),
        BuiltInType.Int32 => ReadInt32(),
        BuiltInType.UInt32 => ReadUInt32(),
        BuiltInType.Int64 => ReadInt64(),
        BuiltInType.UInt64 => ReadUInt64(),
        BuiltInType.Float => ReadFloat(),
        BuiltInType.Double => ReadDouble(),
        BuiltInType.String => ReadString(),
        BuiltInType.DateTime => ReadDateTime(),
        BuiltInType.Guid => ReadGuid(),
        BuiltInType.ByteString => ReadByteString(),
        BuiltInType.XmlElement => ReadByteString() is { } xml ? new XmlElement(Utf8.Strict.GetString(xml)) : null,
        BuiltInType.NodeId => ReadNodeId(),
        BuiltInType.ExpandedNodeId => ReadExpandedNodeId(),
        BuiltInType.StatusCode => ReadStatusCode(),
        BuiltInType.QualifiedName => ReadQualifiedName(),
        BuiltInType.LocalizedText => ReadLocalizedText(),
        BuiltInType.ExtensionObject => ReadExtensionObject(),
        BuiltInType.DataValue => ReadDataValue(),
        BuiltInType.Variant => ReadVariant(),
        BuiltInType.DiagnosticInfo => ReadDiagnosticInfo(),
        _ => throw new UaEncodingException($"built-in type {type} is unknown"),
    };

    /// <summary>An array (Int32 length, -1 = null); the length is checked against the bytes left before allocating.</summary>
    public T[]? ReadArray<T>(Func<T> read)
    {
        var count = ReadInt32();
        if (count < -1) throw new UaEncodingException($"array length {count} is negative");
        if (count < 0) return null;
        if (count > Remaining) throw new UaEncodingException($"array of {count} elements runs past the end of the message");
        var items = new T[count];
        for (var i = 0; i < count; i++) items[i] = read();
        return items;
    }
}
