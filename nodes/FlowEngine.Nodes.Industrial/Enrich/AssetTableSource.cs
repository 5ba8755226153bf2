using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Enrich;

/// <summary>A problem in an asset table (JSON or CSV), with where it is.</summary>
internal sealed class AssetTableException(string message) : Exception(message);

/// <summary>Reads asset tables from JSON (a list of records, or an object keyed by tag) and CSV (RFC 4180 with a header row).</summary>
internal static class AssetTableSource
{
    public static Dictionary<string, AssetRecord> FromJson(object? json)
    {
        var table = new Dictionary<string, AssetRecord>(StringComparer.Ordinal);
        switch (json)
        {
            case null:
                return table;
            case string text:
                if (string.IsNullOrWhiteSpace(text)) return table;
                if (!JsJson.TryParse(text, out var parsed, out var error)) throw new AssetTableException($"not valid JSON: {error!.Message}");
                return FromJson(parsed);
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is not JsObject item) throw new AssetTableException($"entry {i + 1} is not an object");
                    Add(table, AssetRecord.FromJson(item, out var problem) ?? throw new AssetTableException($"entry {i + 1}: {problem}"), $"entry {i + 1}");
                }
                return table;
            case JsObject byTag:
                foreach (var (tag, value) in byTag)
                {
                    if (value is not JsObject item) throw new AssetTableException($"\"{tag}\" is not an object");
                    var withTag = new JsObject(item.Count + 1) { ["tag"] = tag };
                    foreach (var (key, v) in item) if (key != "tag") withTag[key] = v;
                    Add(table, AssetRecord.FromJson(withTag, out var problem) ?? throw new AssetTableException($"\"{tag}\": {problem}"), $"\"{tag}\"");
                }
                return table;
            default:
                throw new AssetTableException($"expected a list of records or an object keyed by tag, got {JsValue.TypeName(json)}");
        }
    }

    /// <summary>
    /// CSV with a header row that has a "tag" column. Columns named lolo, lo, hi, hihi, min, max (or limits.&lt;name&gt;)
    /// become numbers in <c>limits</c>; a header with a dot makes a nested field; empty cells are left out.
    /// </summary>
    public static Dictionary<string, AssetRecord> FromCsv(string text)
    {
        var table = new Dictionary<string, AssetRecord>(StringComparer.Ordinal);
        var rows = ParseCsv(text);
        if (rows.Count == 0) return table;
        var header = rows[0].Item2.Select(h => h.Trim()).ToList();
        var tagColumn = header.FindIndex(h => h.Equals("tag", StringComparison.OrdinalIgnoreCase));
        if (tagColumn < 0) throw new AssetTableException("the header row has no \"tag\" column");
        for (var r = 1; r < rows.Count; r++)
        {
            var (line, cells) = rows[r];
            if (cells.All(c => c.Trim().Length == 0)) continue;
            if (cells.Count > header.Count) throw new AssetTableException($"line {line}: {cells.Count} cells but the header has {header.Count}");
            var record = new JsObject();
            for (var c = 0; c < cells.Count; c++)
            {
                var cell = cells[c].Trim();
                if (cell.Length == 0) continue;
                var name = header[c];
                if (c == tagColumn)
                {
                    record["tag"] = cell;
                    continue;
                }
                var limitName = name.StartsWith("limits.", StringComparison.OrdinalIgnoreCase) ? name[7..] : name;
                if (AssetRecord.LimitNames.Contains(limitName.ToLowerInvariant()))
                {
                    var number = JsValue.StringToNumber(cell);
                    if (!double.IsFinite(number)) throw new AssetTableException($"line {line}: {name} \"{cell}\" is not a number");
                    var limits = record.Get("limits") as JsObject ?? new JsObject();
                    limits[limitName.ToLowerInvariant()] = number;
                    record["limits"] = limits;
                    continue;
                }
                if (!PropertyPath.TryParse(name, out var path) || path is null) throw new AssetTableException($"column \"{name}\" is not a valid field name");
                path.SetValue(record, cell);
            }
            var parsed = AssetRecord.FromJson(record, out var problem) ?? throw new AssetTableException($"line {line}: {problem}");
            Add(table, parsed, $"line {line}");
        }
        return table;
    }

    private static void Add(Dictionary<string, AssetRecord> table, AssetRecord record, string where)
    {
        if (!table.TryAdd(record.Tag, record)) throw new AssetTableException($"{where}: tag \"{record.Tag}\" appears twice");
    }

    /// <summary>RFC 4180 fields: quoted fields may hold commas, line breaks and doubled quotes. Rows carry their 1-based line.</summary>
    internal static List<(int, List<string>)> ParseCsv(string text)
    {
        var rows = new List<(int, List<string>)>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1;
        var rowLine = 1;
        var quoted = false;
        var i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1; // byte order mark from spreadsheet exports
        var rowHasContent = false;
        for (; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (ch == '\n') line++;
                    cell.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"':
                    quoted = true;
                    rowHasContent = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    rowHasContent = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    if (rowHasContent || cell.Length > 0)
                    {
                        cells.Add(cell.ToString());
                        rows.Add((rowLine, cells));
                    }
                    cells = [];
                    cell.Clear();
                    rowHasContent = false;
                    line++;
                    rowLine = line;
                    break;
                default:
                    cell.Append(ch);
                    rowHasContent = true;
                    break;
            }
        }
        if (quoted) throw new AssetTableException($"line {rowLine}: a quoted field is not closed");
        if (rowHasContent || cell.Length > 0)
        {
            cells.Add(cell.ToString());
            rows.Add((rowLine, cells));
        }
        return rows;
    }
}

/// <summary>
/// A topic pattern such as "{enterprise}/{site}/{area}/{line}/{cell}/{tag}" (ISA-95 levels of a unified namespace).
/// Placeholders name record fields (dotted paths allowed), or tag.
/// </summary>
internal sealed class TopicPattern
{
    private readonly List<(string? Text, PropertyPath? Field, string? Name)> _parts = [];

    public TopicPattern(string pattern)
    {
        var i = 0;
        while (i < pattern.Length)
        {
            var open = pattern.IndexOf('{', i);
            var close = pattern.IndexOf('}', i);
            if (close >= 0 && (open < 0 || close < open)) throw new AssetTableException($"'}}' at position {close + 1} has no matching '{{'");
            if (open < 0)
            {
                _parts.Add((pattern[i..], null, null));
                break;
            }
            if (open > i) _parts.Add((pattern[i..open], null, null));
            var end = pattern.IndexOf('}', open);
            var nested = pattern.IndexOf('{', open + 1);
            if (end < 0 || (nested >= 0 && nested < end)) throw new AssetTableException($"'{{' at position {open + 1} is not closed");
            var name = pattern[(open + 1)..end].Trim();
            if (name.Length == 0) throw new AssetTableException($"empty placeholder at position {open + 1}");
            if (!PropertyPath.TryParse(name, out var path) || path is null) throw new AssetTableException($"placeholder {{{name}}} is not a valid field name");
            _parts.Add((null, path, name));
            i = end + 1;
        }
    }

    /// <summary>
    /// Fills the pattern. Levels the record does not have are left out with their separator (no empty levels), and
    /// MQTT wildcards in values ('+', '#') become '_' so the topic can be published.
    /// </summary>
    public string Format(AssetRecord record, Func<string, string?> fallback)
    {
        var text = new StringBuilder();
        foreach (var (literal, field, name) in _parts)
        {
            if (literal is not null)
            {
                text.Append(literal);
                continue;
            }
            var value = name == "tag" ? record.Tag : record.Lookup(field!) switch
            {
                null => fallback(name!),
                string s => s,
                object other => JsValue.ToJsString(other),
            };
            if (value is null) continue;
            text.Append(value.Replace('+', '_').Replace('#', '_'));
        }
        var segments = text.ToString().Split('/');
        return string.Join('/', segments.Where(s => s.Length > 0));
    }
}
