using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Sequence;

namespace FlowEngine.Nodes.Common.Parser;

/// <summary>Node-RED's csv node: RFC 4180 text to objects and back.</summary>
internal sealed partial class CsvNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("csv")
    {
        Category = "parser",
        Color = "#DEBD5C",
        Icon = "parser-csv.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/CSV",
        Help = """
            Converts between CSV text (RFC 4180) and objects.

            **From CSV** (a string in `msg.payload`): fields separated by `sep` (`\t` for tab), quoted with `"` (a quote inside
            a quoted field is doubled; quoted fields may hold separators and line breaks). The first `skip` lines are
            ignored. Column names come from the first row when `hdrin` is set, else from `temp` (comma-separated, may be
            quoted), else `col1`, `col2`, …; an empty name in `temp` drops that column. With `strings` numeric text becomes
            a number. An empty quoted field is kept as `""` only with `include_empty_strings`; an empty unquoted field
            becomes `null` with `include_null_values` (else `""` with `include_empty_strings`, else it is left out).
            `multi` `one` sends a message per row with `msg.parts`; `mult` sends one message with an array.
            `msg.columns` is set to the column names. A message in a `msg.parts` sequence (for example lines of a file)
            keeps the header of the sequence's first message.

            **To CSV** (an object or an array of objects / arrays in `msg.payload`): columns come from `temp`, else
            `msg.columns`, else the keys of the first object. `hdrout` `all` writes a header line every time, `once` only
            for the first message (until `msg.reset`), `none` never. Lines end with `ret`. Fields with a separator,
            quote or line break are quoted. `msg.columns` is set to the columns written.

            Malformed CSV (an unterminated quote, text after a closing quote) raises an error with the message.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("spec", PropertyKind.Select) { Default = "rfc", Options = ["rfc", ""] },
            new PropertyDeclaration("sep", PropertyKind.String) { Default = "," },
            new PropertyDeclaration("hdrin", PropertyKind.Bool) { Default = "" },
            new PropertyDeclaration("hdrout", PropertyKind.Select) { Default = "none", Options = ["none", "all", "once"] },
            new PropertyDeclaration("multi", PropertyKind.Select) { Default = "one", Options = ["one", "mult"] },
            new PropertyDeclaration("ret", PropertyKind.String) { Default = "\\r\\n" },
            new PropertyDeclaration("temp", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("skip", PropertyKind.Number) { Default = "0" },
            new PropertyDeclaration("strings", PropertyKind.Bool) { Default = true },
            new PropertyDeclaration("include_empty_strings", PropertyKind.Bool) { Default = "" },
            new PropertyDeclaration("include_null_values", PropertyKind.Bool) { Default = "" },
        ],
    };

    private readonly char _sep;
    private const char Quote = '"';
    private readonly string _ret;
    private readonly bool _hdrin;
    private readonly string _hdrout;
    private readonly bool _multi;
    private readonly int _skip;
    private readonly bool _parseNumbers;
    private readonly bool _includeEmpty;
    private readonly bool _includeNull;
    private readonly List<string> _template;
    private bool _headerSent;
    private List<string>? _sequenceHeader;

    public CsvNode(NodeSetup setup) : base(setup)
    {
        var sep = SequenceSupport.Unescape(Config.GetString("sep", ","));
        if (sep.Length == 0) sep = ",";
        if (sep.Length != 1) throw Config.Invalid("sep", $"the separator must be one character, got \"{sep}\"");
        _sep = sep[0];
        _ret = SequenceSupport.Unescape(Config.GetString("ret", "\\n") is { Length: > 0 } r ? r : "\\n");
        _hdrin = Config.GetBool("hdrin", false);
        _hdrout = Config.Get("hdrout") switch
        {
            bool b => b ? "all" : "none",
            string s when s.Length > 0 => s,
            _ => "none",
        };
        if (_hdrout is not ("none" or "all" or "once")) throw Config.Invalid("hdrout", $"\"{_hdrout}\" is not one of none, all, once");
        _multi = Config.GetString("multi", "one") == "mult";
        _skip = Math.Max(0, (int)Config.GetNumber("skip", 0));
        _parseNumbers = Config.GetBool("strings", true);
        _includeEmpty = Config.GetBool("include_empty_strings", false);
        _includeNull = Config.GetBool("include_null_values", false);
        var temp = Config.GetString("temp");
        try
        {
            _template = temp.Trim().Length == 0 ? [] : ParseCsv(temp, _sep).FirstOrDefault()?.Select(f => f.Text.Trim()).ToList() ?? [];
        }
        catch (FormatException ex)
        {
            throw Config.Invalid("temp", ex.Message);
        }
    }

    private readonly record struct Field(string Text, bool Quoted);

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset")) _headerSent = false;
        if (!msg.TryGetValue("payload", out var value))
        {
            return ValueTask.CompletedTask;
        }
        switch (value)
        {
            case string text:
                FromCsv(msg, text);
                break;
            case JsObject or List<object?>:
                ToCsv(msg, value);
                break;
            default:
                Warn("This node only handles CSV strings or JS objects.");
                break;
        }
        return ValueTask.CompletedTask;
    }

    private void FromCsv(JsObject msg, string text)
    {
        List<List<Field>> rows;
        try
        {
            rows = ParseCsv(text, _sep);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        var incomingParts = msg.Get("parts") as JsObject;
        var inSequence = incomingParts?.Get("index") is double;
        var first = !inSequence || incomingParts!.Get("index") is 0.0;
        if (first) rows = rows.Skip(_skip).ToList();
        var columns = _template;
        if (_hdrin)
        {
            if (first && rows.Count > 0)
            {
                columns = rows[0].Select(f => f.Text.Trim()).ToList();
                rows.RemoveAt(0);
                if (inSequence) _sequenceHeader = columns;
            }
            else if (inSequence && _sequenceHeader is not null)
            {
                columns = _sequenceHeader;
            }
        }

        var objects = new List<object?>();
        var width = 0;
        foreach (var row in rows)
        {
            width = Math.Max(width, row.Count);
            var obj = new JsObject();
            for (var j = 0; j < row.Count; j++)
            {
                var name = j < columns.Count ? columns[j] : $"col{j + 1}";
                if (name.Length == 0) continue;
                var field = row[j];
                if (field.Text.Length == 0)
                {
                    if (!field.Quoted && _includeNull) obj[name] = null;
                    else if (_includeEmpty) obj[name] = "";
                    continue;
                }
                obj[name] = _parseNumbers && NumberPattern().IsMatch(field.Text) ? JsValue.StringToNumber(field.Text) : field.Text;
            }
            objects.Add(obj);
        }
        var names = Enumerable.Range(0, Math.Max(width, columns.Count))
            .Select(j => j < columns.Count ? columns[j] : $"col{j + 1}")
            .Where(n => n.Length > 0)
            .ToList();
        var columnText = string.Join(",", names.Select(n => FormatField(n, ',')));

        if (_multi)
        {
            msg["payload"] = objects;
            msg["columns"] = columnText;
            Send(msg);
            return;
        }
        var id = MessageIds.NewId();
        for (var i = 0; i < objects.Count; i++)
        {
            var copy = NodeRunner.CloneMessage(msg);
            copy.Remove("_msgid");
            copy["payload"] = objects[i];
            copy["columns"] = columnText;
            if (inSequence)
            {
                // Rows of a line sequence keep the sequence's parts, so a join can rebuild it.
                copy["parts"] = JsValue.DeepClone(incomingParts);
            }
            else
            {
                copy["parts"] = new JsObject { ["id"] = id, ["index"] = (double)i, ["count"] = (double)objects.Count };
            }
            Send(copy);
        }
    }

    private void ToCsv(JsObject msg, object value)
    {
        var rows = value as List<object?> ?? [value];
        // A flat array of values is one row (Node-RED).
        if (rows.Count > 0 && rows[0] is not (JsObject or List<object?>)) rows = [rows];
        var columns = _template.Count > 0 && _template.Any(t => t.Length > 0) ? _template : null;
        if (columns is null && msg.Get("columns") is string columnsText && columnsText.Trim().Length > 0)
        {
            try
            {
                columns = ParseCsv(columnsText, ',').FirstOrDefault()?.Select(f => f.Text.Trim()).ToList();
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"msg.columns: {ex.Message}", ex);
            }
        }
        if (columns is null && rows.FirstOrDefault(r => r is JsObject) is JsObject firstObject) columns = firstObject.Keys.ToList();
        columns ??= [];

        var sb = new StringBuilder();
        if (_hdrout == "all" || (_hdrout == "once" && !_headerSent))
        {
            if (columns.Count > 0)
            {
                sb.Append(string.Join(_sep, columns.Select(c => FormatField(c, _sep)))).Append(_ret);
            }
            _headerSent = true;
        }
        foreach (var row in rows)
        {
            IEnumerable<object?> fields = row switch
            {
                List<object?> list => list,
                JsObject obj => columns.Select(c => obj.Get(c)),
                _ => [row],
            };
            sb.Append(string.Join(_sep, fields.Select(f => FormatField(f, _sep)))).Append(_ret);
        }
        msg["columns"] = string.Join(",", columns.Select(c => FormatField(c, ',')));
        msg["payload"] = sb.ToString();
        Send(msg);
    }

    private static string FormatField(object? value, char sep)
    {
        var text = value switch
        {
            null => "",
            string s => s,
            JsObject or List<object?> => JsJson.Serialize(value),
            _ => JsValue.ToJsString(value),
        };
        if (text.Contains(Quote, StringComparison.Ordinal))
        {
            return "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        }
        return text.Contains(sep, StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal)
            ? "\"" + text + "\""
            : text;
    }

    /// <summary>
    /// RFC 4180 §2: records end with CRLF (LF and CR alone are accepted too); a field may be enclosed in double quotes,
    /// then it may hold separators and line breaks, and a quote inside is written twice.
    /// </summary>
    private static List<List<Field>> ParseCsv(string text, char sep)
    {
        var rows = new List<List<Field>>();
        var row = new List<Field>();
        var field = new StringBuilder();
        var quoted = false;
        var line = 1;
        var i = 0;
        var atFieldStart = true;
        while (i < text.Length)
        {
            var c = text[i];
            if (atFieldStart && c == Quote)
            {
                quoted = true;
                atFieldStart = false;
                i++;
                var startLine = line;
                while (true)
                {
                    if (i >= text.Length) throw new FormatException($"Malformed CSV: unterminated quoted field starting on line {startLine}");
                    var q = text[i];
                    if (q == Quote)
                    {
                        if (i + 1 < text.Length && text[i + 1] == Quote)
                        {
                            field.Append(Quote);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (q == '\n') line++;
                    field.Append(q);
                    i++;
                }
                if (i < text.Length && text[i] != sep && text[i] != '\n' && text[i] != '\r')
                {
                    throw new FormatException($"Malformed CSV: unexpected text after a closing quote on line {line}");
                }
                continue;
            }
            atFieldStart = false;
            if (c == sep)
            {
                row.Add(new Field(field.ToString(), quoted));
                field.Clear();
                quoted = false;
                atFieldStart = true;
                i++;
            }
            else if (c is '\n' or '\r')
            {
                row.Add(new Field(field.ToString(), quoted));
                field.Clear();
                quoted = false;
                atFieldStart = true;
                rows.Add(row);
                row = [];
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                line++;
            }
            else
            {
                field.Append(c);
                i++;
            }
        }
        if (!atFieldStart || field.Length > 0 || row.Count > 0 || quoted)
        {
            row.Add(new Field(field.ToString(), quoted));
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Node-RED's test for numeric text: no leading zeros ("007" stays text), optional fraction and exponent.</summary>
    [GeneratedRegex(@"^[-]?(?!E)(?!0\d)\d*\.?\d*(E-?\+?)?\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex NumberPattern();
}
