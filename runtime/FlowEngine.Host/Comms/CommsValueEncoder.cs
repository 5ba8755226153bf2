using FlowEngine.Core.Values;

namespace FlowEngine.Host.Comms;

/// <summary>An encoded value as the editor's debug sidebar and context inspector read it: text plus format.</summary>
internal readonly record struct EncodedValue(string Msg, string Format);

/// <summary>
/// Node-RED's value encoding for debug messages and the context API (§4.4): a top-level value becomes text and a
/// format (<c>string[5]</c>, <c>number</c>, <c>boolean</c>, <c>null</c>, <c>buffer[3]</c>, <c>array[2]</c>,
/// <c>Object</c>, <c>Date</c>); inside JSON, values JSON cannot carry become <c>{"__enc__":true,...}</c> markers.
/// Long strings, buffers and arrays are cut at debugMaxLength. FlowEngine also cuts what Node-RED does not, so one
/// huge or deep message cannot stall the runtime or the browser: objects keep at most 1000 keys (then <c>"__enc__truncated": "n more keys"</c>) and
/// nesting deeper than <see cref="MaxDepth"/> becomes <c>{"__enc__":true,"type":"internal","data":"[depth limit]"}</c>.
/// </summary>
internal static class CommsValueEncoder
{
    public const int MaxDepth = 20;
    public const int MaxKeys = 1000;

    public static EncodedValue Encode(object? value, int maxLength)
    {
        if (maxLength <= 0) maxLength = 1000;
        switch (value)
        {
            case null:
                return new EncodedValue("(undefined)", "null");
            case string s:
                return new EncodedValue(Truncate(s, maxLength), $"string[{s.Length}]");
            case double d:
                return new EncodedValue(JsValue.FormatNumber(d), "number");
            case bool b:
                return new EncodedValue(b ? "true" : "false", "boolean");
            case byte[] bytes:
                return new EncodedValue(Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, maxLength))), $"buffer[{bytes.Length}]");
            case List<object?> list:
                {
                    // Node-RED encodes a long top-level array as the marker object, so the editor can say "array[n]".
                    object? shown = list.Count > maxLength
                        ? new JsObject { ["__enc__"] = true, ["type"] = "array", ["data"] = EncodeList(list, maxLength, 1), ["length"] = (double)list.Count }
                        : EncodeList(list, maxLength, 1);
                    return new EncodedValue(JsJson.Serialize(shown), $"array[{list.Count}]");
                }
            case DateTime dt:
                return new EncodedValue(JsJson.Serialize(JsJson.FormatIsoDate(dt)), "Date");
            case JsObject obj:
                return new EncodedValue(JsJson.Serialize(EncodeObject(obj, maxLength, 1)), "Object");
            default:
                return new EncodedValue(JsJson.Serialize(Internal(value)), "Object");
        }
    }

    /// <summary>A value inside JSON, with Node-RED's markers and FlowEngine's limits applied.</summary>
    private static object? EncodeNested(object? value, int maxLength, int depth)
    {
        switch (value)
        {
            case null or bool:
                return value;
            case string s:
                return Truncate(s, maxLength);
            case double d:
                return double.IsFinite(d) ? d : new JsObject { ["__enc__"] = true, ["type"] = "number", ["data"] = JsValue.FormatNumber(d) };
            case DateTime dt:
                return JsJson.FormatIsoDate(dt);
            case byte[] bytes:
                {
                    var data = new List<object?>(Math.Min(bytes.Length, maxLength));
                    for (var i = 0; i < bytes.Length && i < maxLength; i++) data.Add((double)bytes[i]);
                    return new JsObject { ["type"] = "Buffer", ["data"] = data, ["__enc__"] = true, ["length"] = (double)bytes.Length };
                }
        }
        if (depth > MaxDepth) return new JsObject { ["__enc__"] = true, ["type"] = "internal", ["data"] = "[depth limit]" };
        switch (value)
        {
            case List<object?> list:
                return list.Count > maxLength
                    ? new JsObject { ["__enc__"] = true, ["type"] = "array", ["data"] = EncodeList(list, maxLength, depth + 1), ["length"] = (double)list.Count }
                    : EncodeList(list, maxLength, depth + 1);
            case JsObject obj:
                return EncodeObject(obj, maxLength, depth + 1);
            default:
                return Internal(value);
        }
    }

    private static List<object?> EncodeList(List<object?> list, int maxLength, int depth)
    {
        var result = new List<object?>(Math.Min(list.Count, maxLength));
        for (var i = 0; i < list.Count && i < maxLength; i++) result.Add(EncodeNested(list[i], maxLength, depth));
        return result;
    }

    private static JsObject EncodeObject(JsObject obj, int maxLength, int depth)
    {
        var result = new JsObject();
        var count = 0;
        foreach (var (key, item) in obj)
        {
            if (count++ >= MaxKeys)
            {
                result["__enc__truncated"] = $"{obj.Count - MaxKeys} more keys";
                break;
            }
            result[key] = EncodeNested(item, maxLength, depth);
        }
        return result;
    }

    /// <summary>Host objects JSON cannot show (a socket, a client...): Node-RED's "internal" marker with the type name.</summary>
    private static JsObject Internal(object? value) =>
        new() { ["__enc__"] = true, ["type"] = "internal", ["data"] = value?.GetType().Name ?? "undefined" };

    private static string Truncate(string s, int maxLength) => s.Length > maxLength ? string.Concat(s.AsSpan(0, maxLength), "...") : s;
}
