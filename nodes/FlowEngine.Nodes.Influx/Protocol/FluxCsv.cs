using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.Influx.Protocol;

/// <summary>
/// Reads the annotated CSV that /api/v2/query returns (InfluxDB "Annotated CSV" reference): tables separated by a
/// blank line, each with #datatype / #group / #default annotation rows and a header row; the first column is the
/// annotation column. Values are converted by #datatype: long, unsignedLong and double to double, boolean to bool,
/// everything else (dateTime:RFC3339, duration, string, base64Binary) stays a string, as the InfluxDB JavaScript
/// client's collectRows gives them. An empty cell takes the #default value, or null.
/// </summary>
public static class FluxCsv
{
    public static List<Dictionary<string, object?>> Rows(string csv)
    {
        var rows = new List<Dictionary<string, object?>>();
        string[]? datatypes = null;
        string[]? defaults = null;
        string[]? header = null;
        foreach (var record in Records(csv))
        {
            if (record.Count == 0 || record.Count == 1 && record[0].Length == 0)
            {
                // A blank line ends a table; the next one brings its own annotations and header.
                datatypes = defaults = header = null;
                continue;
            }
            var first = record[0];
            if (first.StartsWith('#'))
            {
                if (header is not null) { datatypes = defaults = header = null; }
                if (first == "#datatype") datatypes = [.. record];
                else if (first == "#default") defaults = [.. record];
                continue;
            }
            if (header is null)
            {
                header = [.. record];
                if (header.Length >= 3 && header[1] == "error")
                {
                    // The error table: ",error,reference" then one row with the message.
                    continue;
                }
                continue;
            }
            if (header.Length >= 2 && header[1] == "error")
            {
                throw new InfluxQueryException("flux: " + (record.Count > 1 ? record[1] : "unknown error"));
            }
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 1; i < header.Length && i < record.Count; i++)
            {
                var text = record[i];
                if (text.Length == 0 && defaults is not null && i < defaults.Length && defaults[i].Length > 0) text = defaults[i];
                var type = datatypes is not null && i < datatypes.Length ? datatypes[i] : "string";
                row[header[i]] = Convert(text, type);
            }
            rows.Add(row);
        }
        return rows;
    }

    private static object? Convert(string text, string datatype)
    {
        if (text.Length == 0) return datatype == "string" ? "" : null;
        return datatype switch
        {
            "long" or "unsignedLong" or "double" => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                : text switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, _ => double.NaN },
            "boolean" => text == "true",
            _ => text,
        };
    }

    /// <summary>RFC 4180 records: quoted cells may hold commas, quotes ("" inside quotes) and line breaks.</summary>
    private static IEnumerable<List<string>> Records(string csv)
    {
        var record = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i < csv.Length)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < csv.Length && csv[i + 1] == '"') { cell.Append('"'); i += 2; continue; }
                    quoted = false;
                }
                else cell.Append(c);
                i++;
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    record.Add(cell.ToString());
                    cell.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(cell.ToString());
                    cell.Clear();
                    yield return record;
                    record = [];
                    break;
                default:
                    cell.Append(c);
                    break;
            }
            i++;
        }
        if (cell.Length > 0 || record.Count > 0)
        {
            record.Add(cell.ToString());
            yield return record;
        }
    }
}
