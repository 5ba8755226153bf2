using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.OpcUa.Protocol.Encoding;

/// <summary>The 25 built-in types of OPC UA Part 6 §5.1.2, numbered as in a Variant's encoding byte.</summary>
public enum BuiltInType : byte
{
    Null = 0, Boolean = 1, SByte = 2, Byte = 3, Int16 = 4, UInt16 = 5, Int32 = 6, UInt32 = 7, Int64 = 8, UInt64 = 9,
    Float = 10, Double = 11, String = 12, DateTime = 13, Guid = 14, ByteString = 15, XmlElement = 16, NodeId = 17,
    ExpandedNodeId = 18, StatusCode = 19, QualifiedName = 20, LocalizedText = 21, ExtensionObject = 22,
    DataValue = 23, Variant = 24, DiagnosticInfo = 25,
}

public enum NodeIdType : byte { Numeric, String, Guid, Opaque }

/// <summary>A NodeId (Part 3 §8.2): namespace index plus a numeric, string, GUID or opaque identifier.</summary>
public sealed record NodeId(ushort NamespaceIndex, NodeIdType IdType, object Identifier)
{
    public static readonly NodeId Null = new(0, 0u);

    public NodeId(ushort namespaceIndex, uint value) : this(namespaceIndex, NodeIdType.Numeric, value) { }

    public NodeId(ushort namespaceIndex, string value) : this(namespaceIndex, NodeIdType.String, value) { }

    public bool IsNull => IdType switch
    {
        NodeIdType.Numeric => NamespaceIndex == 0 && (uint)Identifier == 0,
        NodeIdType.String => NamespaceIndex == 0 && string.IsNullOrEmpty((string)Identifier),
        NodeIdType.Guid => NamespaceIndex == 0 && (Guid)Identifier == Guid.Empty,
        _ => NamespaceIndex == 0 && ((byte[])Identifier).Length == 0,
    };

    public bool Equals(NodeId? other) =>
        other is not null && other.NamespaceIndex == NamespaceIndex && other.IdType == IdType &&
        (IdType == NodeIdType.Opaque ? ((byte[])Identifier).AsSpan().SequenceEqual((byte[])other.Identifier) : Identifier.Equals(other.Identifier));

    public override int GetHashCode() => HashCode.Combine(NamespaceIndex, IdType, IdType == NodeIdType.Opaque ? Convert.ToBase64String((byte[])Identifier) : Identifier);

    /// <summary>The standard text form (Part 6 §5.3.1.10): "i=85", "ns=1;s=Temperature", "ns=2;g=…", "ns=3;b=…".</summary>
    public override string ToString()
    {
        var prefix = NamespaceIndex == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"ns={NamespaceIndex};");
        return IdType switch
        {
            NodeIdType.Numeric => prefix + "i=" + ((uint)Identifier).ToString(CultureInfo.InvariantCulture),
            NodeIdType.String => prefix + "s=" + (string)Identifier,
            NodeIdType.Guid => prefix + "g=" + ((Guid)Identifier).ToString("D"),
            _ => prefix + "b=" + Convert.ToBase64String((byte[])Identifier),
        };
    }

    public static NodeId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses the text form; "nsu=" forms need the server's namespace table and go through the client.</summary>
    public static bool TryParse(string? text, out NodeId nodeId, out string error)
    {
        nodeId = Null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a NodeId is required (for example ns=1;s=Temperature or i=2258)";
            return false;
        }
        var rest = text.Trim();
        ushort ns = 0;
        if (rest.StartsWith("ns=", StringComparison.Ordinal))
        {
            var semicolon = rest.IndexOf(';', StringComparison.Ordinal);
            if (semicolon < 0 || !ushort.TryParse(rest.AsSpan(3, semicolon - 3), NumberStyles.None, CultureInfo.InvariantCulture, out ns))
            {
                error = $"\"{text}\" is not a NodeId: the namespace index after ns= must be 0..65535 followed by ';'";
                return false;
            }
            rest = rest[(semicolon + 1)..];
        }
        if (rest.Length < 2 || rest[1] != '=')
        {
            error = $"\"{text}\" is not a NodeId: expected i=, s=, g= or b= after the namespace";
            return false;
        }
        var value = rest[2..];
        switch (rest[0])
        {
            case 'i':
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    error = $"\"{text}\" is not a NodeId: i= needs a number 0..4294967295";
                    return false;
                }
                nodeId = new NodeId(ns, number);
                return true;
            case 's':
                nodeId = new NodeId(ns, value);
                return true;
            case 'g':
                if (!Guid.TryParse(value, out var guid))
                {
                    error = $"\"{text}\" is not a NodeId: g= needs a GUID";
                    return false;
                }
                nodeId = new NodeId(ns, NodeIdType.Guid, guid);
                return true;
            case 'b':
                try
                {
                    nodeId = new NodeId(ns, NodeIdType.Opaque, Convert.FromBase64String(value));
                    return true;
                }
                catch (FormatException)
                {
                    error = $"\"{text}\" is not a NodeId: b= needs base64";
                    return false;
                }
            default:
                error = $"\"{text}\" is not a NodeId: expected i=, s=, g= or b=";
                return false;
        }
    }
}

/// <summary>A NodeId that may name its namespace by URI and live on another server (Part 6 §5.2.2.10).</summary>
public sealed record ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    public override string ToString()
    {
        var text = NamespaceUri is null ? NodeId.ToString() : "nsu=" + NamespaceUri + ";" + NodeId.ToString().Split(';')[^1];
        return ServerIndex == 0 ? text : string.Create(CultureInfo.InvariantCulture, $"svr={ServerIndex};{text}");
    }
}

public sealed record QualifiedName(ushort NamespaceIndex, string? Name)
{
    public override string ToString() => NamespaceIndex == 0 ? Name ?? "" : string.Create(CultureInfo.InvariantCulture, $"{NamespaceIndex}:{Name}");

    /// <summary>"1:Device" or "Objects" (namespace 0).</summary>
    public static QualifiedName Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && ushort.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
            return new QualifiedName(ns, text[(colon + 1)..]);
        return new QualifiedName(0, text);
    }
}

public sealed record LocalizedText(string? Locale, string? Text)
{
    public override string ToString() => Text ?? "";
}

/// <summary>An encoded structure the client does not decode: kept raw (type id, encoding, body) so it round-trips intact.</summary>
public sealed record ExtensionObject(NodeId TypeId, byte Encoding, byte[]? Body)
{
    public const byte NoBody = 0;
    public const byte BinaryBody = 1;
    public const byte XmlBody = 2;

    public static readonly ExtensionObject Null = new(NodeId.Null, NoBody, null);

    public bool Equals(ExtensionObject? other) =>
        other is not null && other.TypeId == TypeId && other.Encoding == Encoding && (Body ?? []).AsSpan().SequenceEqual(other.Body ?? []);

    public override int GetHashCode() => HashCode.Combine(TypeId, Encoding, Body?.Length);

    public override string ToString() => $"ExtensionObject({TypeId}, {Body?.Length ?? 0} bytes)";
}

/// <summary>An XmlElement value (Part 6 §5.2.2.8): UTF-8 text, kept as a string.</summary>
public sealed record XmlElement(string Xml)
{
    public override string ToString() => Xml;
}

/// <summary>A value with its status and timestamps (Part 4 §7.11).</summary>
public sealed record DataValue(Variant Value, StatusCode Status, DateTime? SourceTimestamp = null, DateTime? ServerTimestamp = null, ushort SourcePicoseconds = 0, ushort ServerPicoseconds = 0)
{
    public static DataValue FromValue(Variant value) => new(value, StatusCode.Good);
}

/// <summary>Vendor diagnostics (Part 4 §7.12): indexes into the response's string table.</summary>
public sealed record DiagnosticInfo(int? SymbolicId = null, int? NamespaceUri = null, int? Locale = null, int? LocalizedText = null, string? AdditionalInfo = null, StatusCode? InnerStatusCode = null, DiagnosticInfo? Inner = null);

/// <summary>
/// A Variant (Part 6 §5.2.2.16): one built-in type, scalar or array. Arrays hold their elements in an
/// <c>object?[]</c> of the CLR type of the built-in type; multi-dimensional arrays keep <see cref="Dimensions"/>.
/// </summary>
public sealed record Variant(BuiltInType Type, object? Value, bool IsArray = false, int[]? Dimensions = null)
{
    public static readonly Variant Null = new(BuiltInType.Null, null);

    public override string ToString()
    {
        if (Value is null) return "null";
        if (IsArray) return Type + "[" + string.Join(",", ((object?[])Value).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) + "]";
        return Type + ":" + Convert.ToString(Value, CultureInfo.InvariantCulture);
    }

    public bool Equals(Variant? other)
    {
        if (other is null || other.Type != Type || other.IsArray != IsArray) return false;
        if (!IsArray) return ValueEquals(Value, other.Value);
        var a = (object?[]?)Value;
        var b = (object?[]?)other.Value;
        if (a is null || b is null) return a is null && b is null;
        return a.Length == b.Length && a.Zip(b).All(p => ValueEquals(p.First, p.Second)) &&
               (Dimensions ?? []).SequenceEqual(other.Dimensions ?? []);
    }

    public override int GetHashCode() => HashCode.Combine(Type, IsArray);

    private static bool ValueEquals(object? a, object? b) => (a, b) switch
    {
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (double x, double y) => x.Equals(y),
        (float x, float y) => x.Equals(y),
        _ => Equals(a, b),
    };

    /// <summary>The CLR type an element of a built-in type has inside a Variant.</summary>
    public static Type ClrType(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => typeof(bool),
        BuiltInType.SByte => typeof(sbyte),
        BuiltInType.Byte => typeof(byte),
        BuiltInType.Int16 => typeof(short),
        BuiltInType.UInt16 => typeof(ushort),
        BuiltInType.Int32 => typeof(int),
        BuiltInType.UInt32 => typeof(uint),
        BuiltInType.Int64 => typeof(long),
        BuiltInType.UInt64 => typeof(ulong),
        BuiltInType.Float => typeof(float),
        BuiltInType.Double => typeof(double),
        BuiltInType.String => typeof(string),
        BuiltInType.DateTime => typeof(DateTime),
        BuiltInType.Guid => typeof(Guid),
        BuiltInType.ByteString => typeof(byte[]),
        BuiltInType.XmlElement => typeof(XmlElement),
        BuiltInType.NodeId => typeof(NodeId),
        BuiltInType.ExpandedNodeId => typeof(ExpandedNodeId),
        BuiltInType.StatusCode => typeof(StatusCode),
        BuiltInType.QualifiedName => typeof(QualifiedName),
        BuiltInType.LocalizedText => typeof(LocalizedText),
        BuiltInType.ExtensionObject => typeof(ExtensionObject),
        BuiltInType.DataValue => typeof(DataValue),
        BuiltInType.Variant => typeof(Variant),
        BuiltInType.DiagnosticInfo => typeof(DiagnosticInfo),
        _ => typeof(object),
    };
}

internal static class Utf8
{
    public static readonly UTF8Encoding Strict = new(false, true);
}
