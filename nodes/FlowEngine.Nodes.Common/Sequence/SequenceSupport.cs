using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Sequence;

/// <summary>Helpers shared by the sequence and parser nodes: Node-RED's escape rules for separators, and property paths.</summary>
internal static class SequenceSupport
{
    /// <summary>
    /// The editor stores separators escaped ("\\n"); Node-RED turns \n, \r, \t, \e, \f and \0 back into the characters.
    /// </summary>
    public static string Unescape(string text) =>
        text.Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\\r", "\r", StringComparison.Ordinal)
            .Replace("\\t", "\t", StringComparison.Ordinal)
            .Replace("\\e", "\u001b", StringComparison.Ordinal)
            .Replace("\\f", "\f", StringComparison.Ordinal)
            .Replace("\\0", "\0", StringComparison.Ordinal);

    /// <summary>A property path from configuration, "payload" when empty; a bad path refuses the deploy.</summary>
    public static PropertyPath ParsePath(NodeConfig config, string property, string fallback = "payload")
    {
        var text = config.GetString(property, fallback);
        if (text.Length == 0) text = fallback;
        try
        {
            return PropertyPath.Parse(text);
        }
        catch (PropertyPathException ex)
        {
            throw config.Invalid(property, ex.Message);
        }
    }

    /// <summary>A buffer from a "bin" typed value: a JSON array of bytes, or text taken as UTF-8.</summary>
    public static byte[] ParseBinary(string text)
    {
        if (text.TrimStart().StartsWith('['))
        {
            if (JsJson.Parse(text) is List<object?> list)
            {
                return list.Select(b => (byte)((int)JsValue.ToNumber(b) & 0xFF)).ToArray();
            }
        }
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>A buffer from a parts.ch or joiner value: bytes, a list of byte numbers, or text.</summary>
    public static byte[] ToBytes(object? value) => value switch
    {
        byte[] bytes => bytes,
        List<object?> list => list.Select(b => (byte)((int)JsValue.ToNumber(b) & 0xFF)).ToArray(),
        null => [],
        _ => Encoding.UTF8.GetBytes(JsValue.ToJsString(value)),
    };

    public static int IndexOf(byte[] haystack, byte[] needle, int start)
    {
        if (needle.Length == 0) return -1;
        return haystack.AsSpan(start).IndexOf(needle) is var i and >= 0 ? i + start : -1;
    }

    /// <summary>JavaScript's Array.prototype.join conversion of one element (null and undefined become "").</summary>
    public static string JoinText(object? value) => value switch
    {
        null => "",
        List<object?> list => string.Join(",", list.Select(JoinText)),
        _ => JsValue.ToJsString(value),
    };
}
