using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>
/// Reads the YAML the template node's "parsed YAML" output needs: block mappings and sequences (also compact
/// "- key: value" items), flow collections, plain / single- / double-quoted scalars, literal and folded block
/// scalars, comments, and js-yaml's default scalar types (null, booleans, integers in decimal/hex/octal/binary,
/// floats with .inf/.nan, timestamps as dates). Anchors, aliases, tags and multiple documents are not supported.
/// </summary>
/// <remarks>
/// Kept small on purpose: the node set has no YAML package reference. Only the first document is read.
/// </remarks>
internal static partial class YamlText
{
    private sealed class Line(int number, int indent, string text)
    {
        public int Number { get; } = number;
        public int Indent { get; set; } = indent;
        public string Text { get; set; } = text;
    }

    private sealed class Reader(List<Line> lines, string[] raw)
    {
        public List<Line> Lines { get; } = lines;
        public string[] Raw { get; } = raw;
        public int Index { get; set; }
        public Line? Current => Index < Lines.Count ? Lines[Index] : null;
    }

    /// <summary>Parses YAML text; null for an empty document. Throws <see cref="InvalidOperationException"/> with the line of the error.</summary>
    public static object? Parse(string text)
    {
        var raw = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var lines = new List<Line>();
        for (var i = 0; i < raw.Length; i++)
        {
            var line = raw[i];
            if (line.Contains('\t', StringComparison.Ordinal) && line.TrimStart(' ').StartsWith('\t'))
            {
                throw Error(i + 1, "tabs cannot be used for indentation");
            }
            var content = line.TrimStart(' ');
            if (content.Length == 0 || content.StartsWith('#')) continue;
            if (content.StartsWith("%", StringComparison.Ordinal)) continue; // directives
            if (content == "---" || content.StartsWith("--- ", StringComparison.Ordinal))
            {
                if (lines.Count > 0) break; // a second document
                var rest = content.Length > 4 ? content[4..].TrimStart() : "";
                if (rest.Length > 0 && !rest.StartsWith('#')) lines.Add(new Line(i + 1, line.Length - content.Length + 4, rest));
                continue;
            }
            if (content == "...") break;
            lines.Add(new Line(i + 1, line.Length - content.Length, content.TrimEnd()));
        }
        if (lines.Count == 0) return null;
        var reader = new Reader(lines, raw);
        var value = ParseNode(reader, -1);
        if (reader.Current is { } extra) throw Error(extra.Number, "unexpected content (bad indentation?)");
        return value;
    }

    private static InvalidOperationException Error(int line, string reason) => new($"YAML error at line {line}: {reason}");

    private static object? ParseNode(Reader reader, int parentIndent)
    {
        var line = reader.Current;
        if (line is null || line.Indent <= parentIndent) return null;
        if (IsSequenceItem(line.Text)) return ParseSequence(reader, line.Indent);
        if (FindMappingColon(line.Text) >= 0) return ParseMapping(reader, line.Indent);
        reader.Index++;
        return ParseInlineValue(reader, line, line.Text, parentIndent);
    }

    private static bool IsSequenceItem(string text) => text == "-" || text.StartsWith("- ", StringComparison.Ordinal);

    private static List<object?> ParseSequence(Reader reader, int indent)
    {
        var list = new List<object?>();
        while (reader.Current is { } line && line.Indent == indent && IsSequenceItem(line.Text))
        {
            var rest = line.Text.Length > 1 ? line.Text[1..] : "";
            var offset = rest.Length - rest.TrimStart(' ').Length;
            rest = rest.TrimStart(' ');
            if (rest.Length == 0 || rest.StartsWith('#'))
            {
                reader.Index++;
                list.Add(ParseNode(reader, indent));
                continue;
            }
            // "- item" starts a node one column right of the dash: reuse the line as that node's first line.
            line.Indent = indent + 1 + offset;
            line.Text = rest;
            list.Add(ParseNode(reader, indent));
        }
        return list;
    }

    private static JsObject ParseMapping(Reader reader, int indent)
    {
        var map = new JsObject();
        while (reader.Current is { } line && line.Indent == indent)
        {
            var colon = FindMappingColon(line.Text);
            if (colon < 0) throw Error(line.Number, "expected \"key: value\"");
            var key = ParseKey(line.Text[..colon].TrimEnd(), line.Number);
            var rest = line.Text[(colon + 1)..].TrimStart(' ');
            reader.Index++;
            object? value;
            if (rest.Length == 0 || rest.StartsWith('#'))
            {
                // The value is on the next lines: deeper, or a sequence at the same indentation.
                if (reader.Current is { } next && (next.Indent > indent || (next.Indent == indent && IsSequenceItem(next.Text))))
                {
                    value = next.Indent == indent ? ParseSequence(reader, indent) : ParseNode(reader, indent);
                }
                else
                {
                    value = null;
                }
            }
            else
            {
                value = ParseInlineValue(reader, line, rest, indent);
            }
            map[key] = value;
        }
        return map;
    }

    private static string ParseKey(string text, int lineNumber)
    {
        if (text.StartsWith('"') || text.StartsWith('\''))
        {
            var (value, end) = ParseQuoted(text, 0, lineNumber);
            if (end != text.Length) throw Error(lineNumber, "unexpected text after a quoted key");
            return value;
        }
        // js-yaml turns keys into strings: "~" becomes "null", "1.0" becomes "1".
        return ResolvePlain(text) switch
        {
            null => "null",
            string => text,
            var other => JsValue.ToJsString(other),
        };
    }

    /// <summary>The index of the ": " (or final ":") that makes a line a mapping entry, outside quotes and brackets; -1 if none.</summary>
    private static int FindMappingColon(string text)
    {
        if (text.StartsWith('[') || text.StartsWith('{') || text.StartsWith('|') || text.StartsWith('>')) return -1;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else if (c == '\\' && q == '"') i++;
                continue;
            }
            if ((c == '"' || c == '\'') && i == 0) quote = c;
            else if (c == '#' && i > 0 && text[i - 1] == ' ') return -1;
            else if (c == ':' && (i + 1 == text.Length || text[i + 1] == ' ')) return i;
        }
        return -1;
    }

    private static object? ParseInlineValue(Reader reader, Line line, string text, int parentIndent)
    {
        if (text.StartsWith('|') || text.StartsWith('>')) return ParseBlockScalar(reader, line, text, parentIndent);
        if (text.StartsWith('[') || text.StartsWith('{'))
        {
            // A flow collection may continue on the following (deeper) lines.
            var flow = new StringBuilder(text);
            while (!IsBalanced(flow.ToString()) && reader.Current is { } next && next.Indent > parentIndent)
            {
                flow.Append(' ').Append(next.Text);
                reader.Index++;
            }
            var source = flow.ToString();
            var position = 0;
            var value = ParseFlow(source, ref position, line.Number);
            SkipSpaces(source, ref position);
            if (position < source.Length && source[position] != '#') throw Error(line.Number, "unexpected text after a flow collection");
            return value;
        }
        if (text.StartsWith('"') || text.StartsWith('\''))
        {
            var (value, end) = ParseQuoted(text, 0, line.Number);
            var after = text[end..].TrimStart();
            if (after.Length > 0 && !after.StartsWith('#')) throw Error(line.Number, "unexpected text after a quoted value");
            return value;
        }
        var plain = new StringBuilder(StripComment(text));
        // A plain scalar continues on deeper lines that are not entries of their own; the lines are joined by spaces.
        while (reader.Current is { } next && next.Indent > parentIndent && !IsSequenceItem(next.Text) && FindMappingColon(next.Text) < 0)
        {
            plain.Append(' ').Append(StripComment(next.Text));
            reader.Index++;
        }
        return ResolvePlain(plain.ToString());
    }

    private static string StripComment(string text)
    {
        var index = text.IndexOf(" #", StringComparison.Ordinal);
        return (index >= 0 ? text[..index] : text).TrimEnd();
    }

    private static bool IsBalanced(string text)
    {
        var depth = 0;
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is { } q)
            {
                if (c == q) quote = null;
                continue;
            }
            if (c is '"' or '\'') quote = c;
            else if (c is '[' or '{') depth++;
            else if (c is ']' or '}') depth--;
        }
        return depth <= 0;
    }

    /// <summary>Literal (|) and folded (&gt;) block scalars, with the strip (-) and keep (+) chomping indicators.</summary>
    private static string ParseBlockScalar(Reader reader, Line line, string header, int parentIndent)
    {
        var literal = header[0] == '|';
        var chomp = header.Contains('-', StringComparison.Ordinal) ? '-' : header.Contains('+', StringComparison.Ordinal) ? '+' : ' ';
        // Block content is taken from the raw text: blank lines and '#' lines belong to it.
        var rawIndex = line.Number; // the line after the header (line numbers are 1-based)
        var contentLines = new List<string>();
        int? blockIndent = null;
        while (rawIndex < reader.Raw.Length)
        {
            var rawLine = reader.Raw[rawIndex].TrimEnd('\r');
            var indent = rawLine.Length - rawLine.TrimStart(' ').Length;
            if (rawLine.Trim().Length == 0)
            {
                contentLines.Add("");
                rawIndex++;
                continue;
            }
            blockIndent ??= indent;
            if (indent < blockIndent || indent <= parentIndent) break;
            contentLines.Add(rawLine[blockIndent.Value..]);
            rawIndex++;
        }
        // Skip the structural lines that the block consumed.
        while (reader.Current is { } next && next.Number <= rawIndex) reader.Index++;
        var trailingBlank = 0;
        while (contentLines.Count > 0 && contentLines[^1].Length == 0)
        {
            contentLines.RemoveAt(contentLines.Count - 1);
            trailingBlank++;
        }
        string body;
        if (literal)
        {
            body = string.Join("\n", contentLines);
        }
        else
        {
            var sb = new StringBuilder();
            for (var i = 0; i < contentLines.Count; i++)
            {
                var current = contentLines[i];
                if (i > 0)
                {
                    var previous = contentLines[i - 1];
                    var moreIndented = current.StartsWith(' ') || previous.StartsWith(' ');
                    if (current.Length == 0 || previous.Length == 0 || moreIndented) sb.Append('\n');
                    else sb.Append(' ');
                }
                sb.Append(current);
            }
            body = sb.ToString().Replace(" \n", "\n", StringComparison.Ordinal);
        }
        if (contentLines.Count == 0) return "";
        return chomp switch
        {
            '-' => body,
            '+' => body + new string('\n', trailingBlank + 1),
            _ => body + "\n",
        };
    }

    private static (string Value, int End) ParseQuoted(string text, int start, int lineNumber)
    {
        var quote = text[start];
        var sb = new StringBuilder();
        var i = start + 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    if (i + 1 < text.Length && text[i + 1] == '\'')
                    {
                        sb.Append('\'');
                        i += 2;
                        continue;
                    }
                    return (sb.ToString(), i + 1);
                }
                sb.Append(c);
                i++;
                continue;
            }
            if (c == '"') return (sb.ToString(), i + 1);
            if (c == '\\' && i + 1 < text.Length)
            {
                var e = text[i + 1];
                i += 2;
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case '0': sb.Append('\0'); break;
                    case 'e': sb.Append('\u001b'); break;
                    case ' ': sb.Append(' '); break;
                    case '/': sb.Append('/'); break;
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case 'N': sb.Append('\u0085'); break;
                    case '_': sb.Append('\u00a0'); break;
                    case 'x' or 'u' or 'U':
                        var digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        if (i + digits > text.Length || !int.TryParse(text.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                        {
                            throw Error(lineNumber, "bad escape in a double-quoted string");
                        }
                        sb.Append(char.ConvertFromUtf32(code));
                        i += digits;
                        break;
                    default:
                        throw Error(lineNumber, $"unknown escape \\{e}");
                }
                continue;
            }
            sb.Append(c);
            i++;
        }
        throw Error(lineNumber, "unterminated quoted string");
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
    }

    private static object? ParseFlow(string text, ref int position, int lineNumber)
    {
        SkipSpaces(text, ref position);
        if (position >= text.Length) throw Error(lineNumber, "unexpected end of a flow collection");
        var c = text[position];
        if (c == '[')
        {
            position++;
            var list = new List<object?>();
            while (true)
            {
                SkipSpaces(text, ref position);
                if (position < text.Length && text[position] == ']')
                {
                    position++;
                    return list;
                }
                list.Add(ParseFlow(text, ref position, lineNumber));
                SkipSpaces(text, ref position);
                if (position < text.Length && text[position] == ',') position++;
                else if (position >= text.Length || text[position] != ']') throw Error(lineNumber, "expected , or ] in a flow sequence");
            }
        }
        if (c == '{')
        {
            position++;
            var map = new JsObject();
            while (true)
            {
                SkipSpaces(text, ref position);
                if (position < text.Length && text[position] == '}')
                {
                    position++;
                    return map;
                }
                var key = ParseFlow(text, ref position, lineNumber);
                SkipSpaces(text, ref position);
                object? value = null;
                if (position < text.Length && text[position] == ':')
                {
                    position++;
                    SkipSpaces(text, ref position);
                    if (position < text.Length && text[position] is not (',' or '}')) value = ParseFlow(text, ref position, lineNumber);
                }
                map[key is null ? "null" : JsValue.ToJsString(key)] = value;
                SkipSpaces(text, ref position);
                if (position < text.Length && text[position] == ',') position++;
                else if (position >= text.Length || text[position] != '}') throw Error(lineNumber, "expected , or } in a flow mapping");
            }
        }
        if (c is '"' or '\'')
        {
            var (value, end) = ParseQuoted(text, position, lineNumber);
            position = end;
            return value;
        }
        var start = position;
        while (position < text.Length && text[position] is not (',' or ']' or '}')
               && !(text[position] == ':' && (position + 1 == text.Length || text[position + 1] is ' ' or ',' or ']' or '}')))
        {
            position++;
        }
        return ResolvePlain(text[start..position].Trim());
    }

    /// <summary>js-yaml's default schema for plain scalars.</summary>
    private static object? ResolvePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
        }
        if (IntegerPattern().IsMatch(text))
        {
            var sign = text[0] == '-' ? -1 : 1;
            var digits = text.TrimStart('+', '-').Replace("_", "", StringComparison.Ordinal);
            if (digits.StartsWith("0x", StringComparison.Ordinal)) return sign * (double)Convert.ToInt64(digits[2..], 16);
            if (digits.StartsWith("0o", StringComparison.Ordinal)) return sign * (double)Convert.ToInt64(digits[2..], 8);
            if (digits.StartsWith("0b", StringComparison.Ordinal)) return sign * (double)Convert.ToInt64(digits[2..], 2);
            return sign * double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        if (FloatPattern().IsMatch(text))
        {
            return double.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        if (TimestampPattern().IsMatch(text)
            && DateTime.TryParse(text.Replace(' ', 'T'), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
        {
            return DateTime.SpecifyKind(date, DateTimeKind.Utc);
        }
        return text;
    }

    [GeneratedRegex(@"^[-+]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$")]
    private static partial Regex TimestampPattern();
}
