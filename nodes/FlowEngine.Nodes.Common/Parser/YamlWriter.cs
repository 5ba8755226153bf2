using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Parser;

/// <summary>
/// Writes values as YAML the way js-yaml's dump does by default: block style, two-space indentation, sequences
/// indented under their key, strings plain when that reads back as the same string, else single-quoted (double-quoted
/// when they hold control characters), multi-line strings as literal blocks.
/// </summary>
internal static partial class YamlWriter
{
    public static string Dump(object? value)
    {
        var sb = new StringBuilder();
        switch (value)
        {
            case JsObject { Count: > 0 } obj:
                WriteMapping(sb, obj, 0);
                break;
            case List<object?> { Count: > 0 } list:
                WriteSequence(sb, list, 0);
                break;
            default:
                sb.Append(Scalar(value, 0)).Append('\n');
                break;
        }
        return sb.ToString();
    }

    private static bool IsBlock(object? value) => value is JsObject { Count: > 0 } or List<object?> { Count: > 0 };

    private static void WriteMapping(StringBuilder sb, JsObject obj, int indent, bool firstInline = false)
    {
        var pad = new string(' ', indent);
        var first = true;
        foreach (var (key, value) in obj)
        {
            if (!(first && firstInline)) sb.Append(pad);
            first = false;
            sb.Append(Key(key)).Append(':');
            switch (value)
            {
                case JsObject { Count: > 0 } child:
                    sb.Append('\n');
                    WriteMapping(sb, child, indent + 2);
                    break;
                case List<object?> { Count: > 0 } list:
                    sb.Append('\n');
                    WriteSequence(sb, list, indent + 2);
                    break;
                default:
                    sb.Append(' ').Append(Scalar(value, indent + 2)).Append('\n');
                    break;
            }
        }
    }

    private static void WriteSequence(StringBuilder sb, List<object?> list, int indent, bool firstInline = false)
    {
        var pad = new string(' ', indent);
        var first = true;
        foreach (var item in list)
        {
            if (!(first && firstInline)) sb.Append(pad);
            first = false;
            sb.Append('-');
            switch (item)
            {
                case JsObject { Count: > 0 } child:
                    sb.Append(' ');
                    WriteMapping(sb, child, indent + 2, firstInline: true);
                    break;
                case List<object?> { Count: > 0 } inner:
                    sb.Append(' ');
                    WriteSequence(sb, inner, indent + 2, firstInline: true);
                    break;
                default:
                    sb.Append(' ').Append(Scalar(item, indent + 2)).Append('\n');
                    break;
            }
        }
    }

    private static string Key(string key) => IsPlainSafe(key) && !key.Contains('\n', StringComparison.Ordinal) ? key : Quote(key);

    private static string Scalar(object? value, int indent) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d when double.IsNaN(d) => ".nan",
        double d when double.IsPositiveInfinity(d) => ".inf",
        double d when double.IsNegativeInfinity(d) => "-.inf",
        double d => JsValue.FormatNumber(d),
        DateTime dt => JsJson.FormatIsoDate(dt),
        JsObject => "{}",
        List<object?> => "[]",
        byte[] bytes => "!!binary " + Convert.ToBase64String(bytes),
        string s => StringScalar(s, indent),
        _ => Quote(JsValue.ToJsString(value)),
    };

    private static string StringScalar(string s, int indent)
    {
        if (s.Contains('\n', StringComparison.Ordinal) && !HasControl(s.Replace("\n", "", StringComparison.Ordinal)))
        {
            var lines = s.Split('\n');
            var keep = s.EndsWith('\n');
            if (keep) lines = lines[..^1];
            // A first line starting with a space would need an indentation indicator: fall back to quotes then.
            if (lines.Length > 0 && !lines[0].StartsWith(' ') && !(keep && s.EndsWith("\n\n", StringComparison.Ordinal)))
            {
                var pad = new string(' ', indent);
                var sb = new StringBuilder(keep ? "|" : "|-");
                foreach (var line in lines) sb.Append('\n').Append(line.Length == 0 ? "" : pad + line);
                return sb.ToString();
            }
        }
        return IsPlainSafe(s) ? s : Quote(s);
    }

    private static bool HasControl(string s) => s.Any(c => c < ' ' && c != '\t' || c == '\u007f');

    private static string Quote(string s)
    {
        if (!HasControl(s) && !s.Contains('\n', StringComparison.Ordinal)) return "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\0' => "\\0",
                '\u001b' => "\\e",
                _ when c < ' ' || c == '\u007f' => "\\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Whether a string can be written unquoted and read back as the same string (YAML 1.2 core schema).</summary>
    private static bool IsPlainSafe(string s)
    {
        if (s.Length == 0 || HasControl(s) || s.Contains('\n', StringComparison.Ordinal)) return false;
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return false;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0], StringComparison.Ordinal))
        {
            // "-x", "?x", ":x" are plain when followed by a non-space, but js-yaml quotes only the ambiguous "- " forms.
            if (!(s[0] is '-' or '?' or ':' && s.Length > 1 && s[1] != ' ')) return false;
        }
        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(':')) return false;
        if (Reserved().IsMatch(s)) return false;
        return true;
    }

    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|\d{4}-\d\d?-\d\d?(?:[Tt ].*)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|<<)$")]
    private static partial Regex Reserved();
}
