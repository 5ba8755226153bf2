using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// JSON text as JSONata's $string writes it: JSON.stringify with numbers at 15 significant digits
/// (so 0.1 + 0.2 prints as 0.3), functions as "", and two-space indentation when pretty.
/// </summary>
internal static class JsonataJson
{
    public static string Stringify(object? value, bool pretty)
    {
        var builder = new StringBuilder();
        Write(builder, value, pretty, 0);
        return builder.ToString();
    }

    /// <summary>
    /// A number as $string writes it: integers exactly, other numbers at 15 significant digits
    /// (JavaScript's Number(n.toPrecision(15))), printed as JavaScript prints numbers.
    /// </summary>
    public static string FormatNumber(double d)
    {
        if (!double.IsFinite(d))
        {
            return "null";
        }
        if (Math.Floor(d) == d)
        {
            return JavaScriptNumber(d);
        }
        var rounded = double.Parse(d.ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        return JavaScriptNumber(rounded);
    }

    /// <summary>JavaScript's Number.prototype.toString(): the shortest round-trip digits, positional from 1e-6 to 1e21.</summary>
    public static string JavaScriptNumber(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }
        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0)
        {
            return "0";
        }
        var negative = d < 0;
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var exponentIndex = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = exponentIndex < 0 ? shortest : shortest[..exponentIndex];
        var exponent = exponentIndex < 0 ? 0 : int.Parse(shortest.AsSpan(exponentIndex + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        // The value is 0.DIGITS × 10^position.
        var position = (point < 0 ? mantissa.Length : point) + exponent;
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }
        digits = digits[leading..].TrimEnd('0');
        position -= leading;
        var count = digits.Length;
        string text;
        if (count <= position && position <= 21)
        {
            text = digits + new string('0', position - count);
        }
        else if (position > 0 && position <= 21)
        {
            text = digits[..position] + "." + digits[position..];
        }
        else if (position > -6 && position <= 0)
        {
            text = "0." + new string('0', -position) + digits;
        }
        else
        {
            var e = position - 1;
            text = digits[..1] + (count > 1 ? "." + digits[1..] : "") + "e" + (e >= 0 ? "+" : "-") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
        }
        return negative ? "-" + text : text;
    }

    private static void Write(StringBuilder builder, object? value, bool pretty, int depth)
    {
        switch (value)
        {
            case null or Undefined:
                builder.Append("null");
                break;
            case string s:
                WriteString(builder, s);
                break;
            case double d:
                if (double.IsInfinity(d))
                {
                    throw Errors.Create("D1001", value: d);
                }
                builder.Append(FormatNumber(d));
                break;
            case bool b:
                builder.Append(b ? "true" : "false");
                break;
            case FunctionValue:
                builder.Append("\"\"");
                break;
            case DateTime date:
                WriteString(builder, date.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                // What JSON.stringify gives for a Node.js Buffer.
                var buffer = new JsObject(2) { ["type"] = "Buffer" };
                var data = new List<object?>(bytes.Length);
                foreach (var b in bytes)
                {
                    data.Add((double)b);
                }
                buffer["data"] = data;
                Write(builder, buffer, pretty, depth);
                break;
            case List<object?> list:
                if (list.Count == 0)
                {
                    builder.Append("[]");
                    break;
                }
                builder.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }
                    NewLine(builder, pretty, depth + 1);
                    Write(builder, list[i], pretty, depth + 1);
                }
                NewLine(builder, pretty, depth);
                builder.Append(']');
                break;
            case JsObject obj:
                if (obj.Count == 0)
                {
                    builder.Append("{}");
                    break;
                }
                builder.Append('{');
                var first = true;
                foreach (var (key, item) in obj)
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }
                    first = false;
                    NewLine(builder, pretty, depth + 1);
                    WriteString(builder, key);
                    builder.Append(pretty ? ": " : ":");
                    Write(builder, item, pretty, depth + 1);
                }
                NewLine(builder, pretty, depth);
                builder.Append('}');
                break;
            default:
                WriteString(builder, value.ToString() ?? "");
                break;
        }
    }

    private static void NewLine(StringBuilder builder, bool pretty, int depth)
    {
        if (pretty)
        {
            builder.Append('\n').Append(' ', depth * 2);
        }
    }

    /// <summary>JSON.stringify's string escaping: quotes, backslashes, control characters and lone surrogates.</summary>
    public static void WriteString(StringBuilder builder, string s)
    {
        builder.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        builder.Append(c).Append(s[i + 1]);
                        i++;
                    }
                    else if (char.IsSurrogate(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        builder.Append('"');
    }
}
