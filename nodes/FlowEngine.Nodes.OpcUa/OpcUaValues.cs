using System.Globalization;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>A value from a message that cannot become the requested OPC UA type.</summary>
internal sealed class OpcUaValueException(string message) : Exception(message);

/// <summary>Turns OPC UA values into message values (JSON-like) and back.</summary>
internal static class OpcUaValues
{
    /// <summary>The data types a write node can name (the scalar built-in types).</summary>
    public static readonly string[] WritableTypes =
    [
        "auto", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double",
        "String", "DateTime", "Guid", "ByteString", "XmlElement", "NodeId", "ExpandedNodeId", "StatusCode", "QualifiedName", "LocalizedText",
    ];

    public static object? ToJs(Variant variant)
    {
        if (variant.Value is null) return null;
        if (!variant.IsArray) return ScalarToJs(variant.Value);
        var items = ((object?[])variant.Value).Select(ScalarToJs).ToList<object?>();
        if (variant.Dimensions is not { Length: > 1 } dims) return items;
        return Reshape(items, dims, 0, 0, out _);
    }

    private static List<object?> Reshape(List<object?> flat, int[] dims, int level, int offset, out int used)
    {
        var result = new List<object?>();
        used = 0;
        // Part 6 §5.2.2.16: the last dimension varies fastest.
        for (var i = 0; i < dims[level]; i++)
        {
            if (level == dims.Length - 1)
            {
                result.Add(flat[offset + used]);
                used++;
            }
            else
            {
                result.Add(Reshape(flat, dims, level + 1, offset + used, out var inner));
                used += inner;
            }
        }
        return result;
    }

    public static object? ScalarToJs(object? value) => value switch
    {
        null => null,
        bool b => b,
        string s => s,
        double d => d,
        float f => (double)f,
        sbyte or byte or short or ushort or int or uint => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        // 64-bit integers beyond 2^53 would lose digits as a JavaScript number; they stay exact as strings.
        long l => Math.Abs(l) <= 9007199254740991L ? (object)(double)l : l.ToString(CultureInfo.InvariantCulture),
        ulong ul => ul <= 9007199254740991UL ? (object)(double)ul : ul.ToString(CultureInfo.InvariantCulture),
        DateTime dt => dt,
        Guid g => g.ToString("D"),
        byte[] bytes => bytes,
        XmlElement x => x.Xml,
        NodeId id => id.ToString(),
        ExpandedNodeId id => id.ToString(),
        StatusCode code => new JsObject { ["code"] = (double)code.Code, ["name"] = code.Name },
        QualifiedName q => new JsObject { ["namespaceIndex"] = (double)q.NamespaceIndex, ["name"] = q.Name },
        LocalizedText t => new JsObject { ["locale"] = t.Locale, ["text"] = t.Text },
        ExtensionObject e => new JsObject { ["typeId"] = e.TypeId.ToString(), ["encoding"] = e.Encoding == ExtensionObject.XmlBody ? "xml" : "binary", ["body"] = e.Body },
        DataValue dv => new JsObject { ["value"] = ToJs(dv.Value), ["statusCode"] = dv.Status.Name, ["sourceTimestamp"] = dv.SourceTimestamp, ["serverTimestamp"] = dv.ServerTimestamp },
        Variant v => new JsObject { ["dataType"] = v.Type.ToString(), ["value"] = ToJs(v) },
        DiagnosticInfo info => new JsObject { ["additionalInfo"] = info.AdditionalInfo, ["innerStatusCode"] = info.InnerStatusCode?.Name },
        _ => value.ToString(),
    };

    public static bool TryParseType(string name, out BuiltInType type) =>
        Enum.TryParse(name, ignoreCase: false, out type) && type is not (BuiltInType.Null or BuiltInType.DataValue or BuiltInType.Variant or BuiltInType.DiagnosticInfo or BuiltInType.ExtensionObject);

    /// <summary>A message value as a Variant of <paramref name="type"/>; an array becomes a one-dimensional array.</summary>
    public static Variant FromJs(object? value, BuiltInType type)
    {
        if (value is List<object?> items) return new Variant(type, items.Select(i => ScalarFromJs(i, type)).ToArray(), true);
        return new Variant(type, ScalarFromJs(value, type));
    }

    /// <summary>Picks a type for a value when the node's data type is unknown (auto and no DataType attribute).</summary>
    public static BuiltInType Guess(object? value) => value switch
    {
        bool => BuiltInType.Boolean,
        double => BuiltInType.Double,
        string => BuiltInType.String,
        DateTime => BuiltInType.DateTime,
        byte[] => BuiltInType.ByteString,
        List<object?> list when list.Count > 0 => Guess(list[0]),
        _ => throw new OpcUaValueException($"cannot tell which OPC UA type a {JsValue.TypeName(value)} should be written as; set the data type"),
    };

    private static object? ScalarFromJs(object? value, BuiltInType type)
    {
        try
        {
            return type switch
            {
                BuiltInType.Boolean => value switch
                {
                    bool b => b,
                    double d => d != 0,
                    string s when bool.TryParse(s, out var parsed) => parsed,
                    string s when s is "1" or "0" => s == "1",
                    _ => throw Mismatch(value, type),
                },
                BuiltInType.SByte => checked((sbyte)Integer(value, type)),
                BuiltInType.Byte => checked((byte)Integer(value, type)),
                BuiltInType.Int16 => checked((short)Integer(value, type)),
                BuiltInType.UInt16 => checked((ushort)Integer(value, type)),
                BuiltInType.Int32 => checked((int)Integer(value, type)),
                BuiltInType.UInt32 => checked((uint)Integer(value, type)),
                BuiltInType.Int64 => value is string s64 ? long.Parse(s64, CultureInfo.InvariantCulture) : checked((long)Integer(value, type)),
                BuiltInType.UInt64 => value is string su64 ? ulong.Parse(su64, CultureInfo.InvariantCulture) : checked((ulong)Integer(value, type)),
                BuiltInType.Float => (float)Number(value, type),
                BuiltInType.Double => Number(value, type),
                BuiltInType.String => value is null ? null : value as string ?? JsValue.ToJsString(value),
                BuiltInType.DateTime => value switch
                {
                    DateTime dt => dt,
                    double ms => DateTime.UnixEpoch.AddMilliseconds(ms),
                    string s => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    _ => throw Mismatch(value, type),
                },
                BuiltInType.Guid => value is string g ? Guid.Parse(g) : throw Mismatch(value, type),
                BuiltInType.ByteString => value switch
                {
                    byte[] bytes => bytes,
                    string s => Convert.FromBase64String(s),
                    List<object?> list => list.Select(i => checked((byte)Integer(i, BuiltInType.Byte))).ToArray(),
                    _ => throw Mismatch(value, type),
                },
                BuiltInType.XmlElement => new XmlElement(value as string ?? throw Mismatch(value, type)),
                BuiltInType.NodeId => NodeId.Parse(value as string ?? throw Mismatch(value, type)),
                BuiltInType.ExpandedNodeId => new ExpandedNodeId(NodeId.Parse(value as string ?? throw Mismatch(value, type))),
                BuiltInType.StatusCode => value switch
                {
                    double d => new StatusCode(checked((uint)d)),
                    string s when StatusCodes.TryParse(s, out var code) => new StatusCode(code),
                    _ => throw Mismatch(value, type),
                },
                BuiltInType.QualifiedName => value switch
                {
                    string s => QualifiedName.Parse(s),
                    JsObject o => new QualifiedName((ushort)JsValue.ToNumber(o.Get("namespaceIndex") ?? 0.0), o.Get("name") as string),
                    _ => throw Mismatch(value, type),
                },
                BuiltInType.LocalizedText => value switch
                {
                    string s => new LocalizedText(null, s),
                    JsObject o => new LocalizedText(o.Get("locale") as string, o.Get("text") as string),
                    _ => throw Mismatch(value, type),
                },
                _ => throw new OpcUaValueException($"writing a {type} is not supported"),
            };
        }
        catch (Exception ex) when (ex is OverflowException or FormatException)
        {
            throw new OpcUaValueException($"{JsJson.Serialize(value)} does not fit an OPC UA {type}: {ex.Message}");
        }
    }

    private static double Number(object? value, BuiltInType type) => value switch
    {
        double d => d,
        bool b => b ? 1 : 0,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw Mismatch(value, type),
    };

    private static double Integer(object? value, BuiltInType type)
    {
        var number = Number(value, type);
        if (double.IsNaN(number) || Math.Floor(number) != number) throw new OpcUaValueException($"{JsJson.Serialize(value)} is not a whole number for an OPC UA {type}");
        return number;
    }

    private static OpcUaValueException Mismatch(object? value, BuiltInType type) =>
        new($"{JsJson.Serialize(value)} ({JsValue.TypeName(value)}) cannot be written as an OPC UA {type}");

    /// <summary>Namespace 0 DataType ids of the built-in types (i=1..25) map straight to the type.</summary>
    public static BuiltInType? FromDataTypeId(NodeId dataType)
    {
        if (dataType.NamespaceIndex != 0 || dataType.IdType != NodeIdType.Numeric) return null;
        var id = (uint)dataType.Identifier;
        return id switch
        {
            >= 1 and <= 25 => (BuiltInType)id,
            // Common subtypes: Duration and others are Doubles, UtcTime a DateTime, LocaleId a String, enums Int32.
            290 => BuiltInType.Double,
            294 => BuiltInType.DateTime,
            295 => BuiltInType.String,
            29 => BuiltInType.Int32,
            _ => null,
        };
    }
}
