using System.Buffers;
using System.Text;
using System.Text.Unicode;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>What went wrong turning a received payload into the configured output type (reported to catch nodes).</summary>
internal sealed class MqttPayloadException(string message, JsObject rawMessage) : Exception(message)
{
    public JsObject RawMessage { get; } = rawMessage;
}

/// <summary>Translation between MQTT messages and flow messages, with Node-RED's rules for payload types and MQTT 5 properties.</summary>
internal static class MqttMessages
{
    /// <summary>Content types whose meaning decides the auto-detect output (Node-RED's knownMediaTypes).</summary>
    private static readonly Dictionary<string, string> KnownMediaTypes = new(StringComparer.Ordinal)
    {
        ["text/css"] = "string",
        ["text/html"] = "string",
        ["text/plain"] = "string",
        ["application/json"] = "json",
        ["application/octet-stream"] = "buffer",
        ["application/pdf"] = "buffer",
        ["application/x-gtar"] = "buffer",
        ["application/x-gzip"] = "buffer",
        ["application/x-tar"] = "buffer",
        ["application/xml"] = "string",
        ["application/zip"] = "buffer",
        ["audio/aac"] = "buffer",
        ["audio/ac3"] = "buffer",
        ["audio/basic"] = "buffer",
        ["audio/mp4"] = "buffer",
        ["audio/ogg"] = "buffer",
        ["image/bmp"] = "buffer",
        ["image/gif"] = "buffer",
        ["image/jpeg"] = "buffer",
        ["image/tiff"] = "buffer",
        ["image/png"] = "buffer",
    };

    public const string InvalidJsonParse = "Failed to parse JSON string";
    public const string InvalidJsonString = "Invalid JSON string";

    /// <summary>
    /// Builds the output message of an mqtt in node: <c>{topic, payload, qos, retain}</c> plus the MQTT 5 properties
    /// present. Throws <see cref="MqttPayloadException"/> (with the raw payload) when "parsed JSON" output meets a
    /// payload that is not JSON.
    /// </summary>
    public static JsObject ToFlowMessage(MqttApplicationMessage packet, string datatype, bool v5, bool localBroker)
    {
        var msg = new JsObject
        {
            ["topic"] = packet.Topic,
            ["payload"] = null,
            ["qos"] = (double)(int)packet.QualityOfServiceLevel,
            ["retain"] = packet.Retain,
        };
        string? contentType = null;
        var formatUtf8 = false;
        if (v5)
        {
            if (!string.IsNullOrEmpty(packet.ResponseTopic)) msg["responseTopic"] = packet.ResponseTopic;
            if (packet.CorrelationData is { } correlation) msg["correlationData"] = correlation.ToArray();
            if (!string.IsNullOrEmpty(packet.ContentType))
            {
                contentType = packet.ContentType;
                msg["contentType"] = contentType;
            }
            if (packet.MessageExpiryInterval > 0) msg["messageExpiryInterval"] = (double)packet.MessageExpiryInterval;
            if (packet.PayloadFormatIndicator == MqttPayloadFormatIndicator.CharacterData)
            {
                formatUtf8 = true;
                msg["payloadFormatIndicator"] = true;
            }
            if (packet.UserProperties is { Count: > 0 } props)
            {
                var userProperties = new JsObject();
                foreach (var p in props) userProperties[p.Name] = p.ReadValueAsString();
                msg["userProperties"] = userProperties;
            }
        }
        // Text and JSON are read straight from the received packet; only a Buffer payload needs an array of its own.
        var payload = packet.Payload;
        msg["payload"] = payload.IsSingleSegment
            ? ConvertPayload(payload.FirstSpan, datatype, contentType, formatUtf8, msg)
            : ConvertPayload(payload.ToArray(), datatype, contentType, formatUtf8, msg);
        if (localBroker) msg["_topic"] = packet.Topic;
        return msg;
    }

    private static object? ConvertPayload(ReadOnlySpan<byte> bytes, string datatype, string? contentType, bool formatUtf8, JsObject msg)
    {
        switch (datatype)
        {
            case "buffer":
                return bytes.ToArray();
            case "base64":
                return Convert.ToBase64String(bytes);
            case "utf8":
                return Encoding.UTF8.GetString(bytes);
            case "json":
                if (!formatUtf8 && !Utf8.IsValid(bytes)) throw Failure(InvalidJsonString, msg, bytes.ToArray());
                if (!TryParseJson(bytes, out var parsed)) throw Failure(InvalidJsonParse, msg, bytes.ToArray());
                return parsed;
        }
        // "auto-detect" (the editor's default) or the legacy "auto".
        var detect = datatype == "auto-detect";
        if (formatUtf8 || contentType is not null)
        {
            var known = contentType is null ? null : KnownMediaTypes.GetValueOrDefault(contentType.ToLowerInvariant());
            switch (known)
            {
                case "string":
                    return Encoding.UTF8.GetString(bytes);
                case "buffer":
                    return bytes.ToArray();
                case "json":
                    // The sender declared JSON: a payload that is not JSON is an error here, as in Node-RED.
                    if (!TryParseJson(bytes, out var declared)) throw Failure(InvalidJsonParse, msg, Encoding.UTF8.GetString(bytes));
                    return detect ? declared : Encoding.UTF8.GetString(bytes);
            }
        }
        if (!formatUtf8 && !Utf8.IsValid(bytes)) return bytes.ToArray();
        if (detect && LooksLikeJson(bytes) && TryParseJson(bytes, out var value)) return value;
        return Encoding.UTF8.GetString(bytes);
    }

    private static MqttPayloadException Failure(string text, JsObject msg, object? rawPayload)
    {
        // Node-RED reports {payload, topic, qos, retain} with the payload as received.
        var raw = new JsObject
        {
            ["payload"] = rawPayload,
            ["topic"] = msg["topic"],
            ["qos"] = msg["qos"],
            ["retain"] = msg["retain"],
        };
        return new MqttPayloadException(text, raw);
    }

    /// <summary>A cheap first look, so that plain text does not cost a failed parse per message.</summary>
    private static bool LooksLikeJson(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            return b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n';
        }
        return false;
    }

    private static bool TryParseJson(ReadOnlySpan<byte> bytes, out object? value)
    {
        try
        {
            value = JsJson.Parse(bytes);
            return true;
        }
        catch (JsJsonException)
        {
            value = null;
            return false;
        }
    }

    /// <summary>
    /// The bytes mqtt out publishes (Node-RED: null or missing ⇒ "", Buffer as is, object ⇒ JSON, anything else ⇒
    /// its string form).
    /// </summary>
    public static byte[] ToPayload(object? payload) => payload switch
    {
        null => [],
        byte[] bytes => bytes,
        string s => Encoding.UTF8.GetBytes(s),
        JsObject or List<object?> or DateTime => JsJson.SerializeToUtf8(payload),
        _ => Encoding.UTF8.GetBytes(JsValue.ToJsString(payload)),
    };

    /// <summary>String-valued entries of an object (MQTT 5 user properties); other values are left out, as in Node-RED.</summary>
    public static List<KeyValuePair<string, string>>? UserProperties(object? value)
    {
        if (value is string text && text.TrimStart().StartsWith('{'))
        {
            try
            {
                value = JsJson.Parse(text);
            }
            catch (JsJsonException)
            {
                return null;
            }
        }
        if (value is not JsObject obj) return null;
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (key, v) in obj)
        {
            if (v is string s) list.Add(new(key, s));
        }
        return list.Count > 0 ? list : null;
    }

    /// <summary>Node-RED's parseInt-based reading of integer properties; null when absent, not a number or out of range.</summary>
    public static long? Integer(object? value, long min, long max)
    {
        double number;
        switch (value)
        {
            case null:
                return null;
            case double d:
                number = d;
                break;
            case string s when s.Trim().Length > 0:
                var trimmed = s.Trim();
                var end = 0;
                while (end < trimmed.Length && (char.IsAsciiDigit(trimmed[end]) || (end == 0 && trimmed[end] is '-' or '+'))) end++;
                if (!double.TryParse(trimmed.AsSpan(0, end), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out number)) return null;
                break;
            case bool:
                return null;
            default:
                return null;
        }
        if (double.IsNaN(number) || double.IsInfinity(number)) return null;
        var truncated = (long)Math.Truncate(number);
        return truncated < min || truncated > max ? null : truncated;
    }

    /// <summary>Bytes of a correlation data value: a Buffer as is, anything else as its UTF-8 text.</summary>
    public static byte[]? Bytes(object? value) => value switch
    {
        null => null,
        byte[] b => b,
        string { Length: 0 } => null,
        string s => Encoding.UTF8.GetBytes(s),
        _ => Encoding.UTF8.GetBytes(JsValue.ToJsString(value)),
    };
}
