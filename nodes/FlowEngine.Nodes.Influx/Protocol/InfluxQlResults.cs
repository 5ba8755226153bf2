using System.Globalization;
using System.Text.Json;

namespace FlowEngine.Nodes.Influx.Protocol;

/// <summary>
/// Turns the JSON of InfluxDB's /query endpoint into rows: one object per value row, with the series tags and
/// the columns as properties (the shape node-influx gives Node-RED flows). Values are plain CLR values: double,
/// string, bool, null, and <see cref="DateTime"/> for an RFC3339 <c>time</c> column.
/// </summary>
public static class InfluxQlResults
{
    /// <summary>Throws the server's error for a failed request or a failed statement.</summary>
    public static void ThrowOnError(string json)
    {
        using var doc = Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error)) throw new InfluxQueryException(error.ToString());
        if (!root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array) return;
        foreach (var result in results.EnumerateArray())
        {
            if (result.TryGetProperty("error", out var statementError))
            {
                var id = result.TryGetProperty("statement_id", out var sid) ? sid.ToString() : "?";
                throw new InfluxQueryException($"statement {id}: {statementError}");
            }
        }
    }

    /// <summary>Rows of each statement, in statement order.</summary>
    public static List<List<Dictionary<string, object?>>> Rows(string json)
    {
        using var doc = Parse(json);
        var statements = new List<List<Dictionary<string, object?>>>();
        if (!doc.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array) return statements;
        foreach (var result in results.EnumerateArray())
        {
            var rows = new List<Dictionary<string, object?>>();
            if (result.TryGetProperty("series", out var series) && series.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in series.EnumerateArray())
                {
                    var columns = s.TryGetProperty("columns", out var c) ? c.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
                    var tags = new List<KeyValuePair<string, object?>>();
                    if (s.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var tag in t.EnumerateObject()) tags.Add(new(tag.Name, Value(tag.Value, tag.Name)));
                    }
                    if (!s.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array) continue;
                    foreach (var valueRow in values.EnumerateArray())
                    {
                        var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                        var i = 0;
                        foreach (var cell in valueRow.EnumerateArray())
                        {
                            if (i < columns.Count) row[columns[i]] = Value(cell, columns[i]);
                            i++;
                        }
                        foreach (var (key, value) in tags) row.TryAdd(key, value);
                        rows.Add(row);
                    }
                }
            }
            statements.Add(rows);
        }
        return statements;
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InfluxQueryException("the server's answer is not JSON: " + ex.Message, ex);
        }
    }

    private static object? Value(JsonElement element, string column) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when column == "time" && DateTime.TryParse(element.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) => time,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => element.GetRawText(),
    };
}
