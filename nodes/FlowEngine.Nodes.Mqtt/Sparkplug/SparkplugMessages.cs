using System.Globalization;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>Translates between flow messages (JSON-like values) and Sparkplug metrics.</summary>
internal static class SparkplugMessages
{
    /// <summary>
    /// Metric updates from msg.payload: <c>{metrics: [{name|alias, value, type, timestamp, properties}]}</c>, a list of
    /// such metric objects, or a plain object <c>{"name": value, ...}</c>.
    /// </summary>
    public static List<SparkplugMetricUpdate> Updates(object? payload)
    {
        var items = payload switch
        {
            JsObject o when o.Get("metrics") is List<object?> list => list,
            List<object?> list => list,
            JsObject o => o.Select(kv => (object?)new JsObject { ["name"] = kv.Key, ["value"] = kv.Value }).ToList(),
            _ => throw new SparkplugFormatException("msg.payload must be {metrics: [...]}, a list of metrics or an object of name: value"),
        };
        if (items.Count == 0) throw new SparkplugFormatException("msg.payload has no metrics");
        var updates = new List<SparkplugMetricUpdate>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsObject m) throw new SparkplugFormatException($"metric {i} is not an object");
            updates.Add(Update(m, i));
        }
        return updates;
    }

    private static SparkplugMetricUpdate Update(JsObject m, int index)
    {
        var name = m.Get("name") as string;
        ulong? alias = m.Get("alias") switch
        {
            double d when d >= 0 && d == Math.Floor(d) => (ulong)d,
            null => null,
            var other => throw new SparkplugFormatException($"metric {index}: alias must be an integer of 0 or more, got {JsJson.Serialize(other)}"),
        };
        if (name is null && alias is null) throw new SparkplugFormatException($"metric {index} has neither a name nor an alias");
        var label = name ?? "alias " + alias;
        var typeValue = m.Get("type") ?? m.Get("datatype");
        SparkplugDataType? type = typeValue is null ? null : SparkplugDataTypes.Parse(typeValue)
            ?? throw new SparkplugFormatException($"metric \"{label}\": unknown data type {JsJson.Serialize(typeValue)} (expected one of {string.Join(", ", SparkplugDataTypes.Names)})");
        return new SparkplugMetricUpdate
        {
            Name = name,
            Alias = alias,
            DataType = type,
            Value = ToClr(m.Get("value"), type, label),
            Timestamp = m.Get("timestamp") is { } t ? Timestamp(t, label) : null,
            Properties = m.Get("properties") is JsObject p ? Properties(p, label) : null,
            IsHistorical = m.Get("isHistorical") is true,
            IsTransient = m.Get("isTransient") is true,
        };
    }

    private static ulong Timestamp(object value, string label) => value switch
    {
        double d when d >= 0 => (ulong)d,
        DateTime t => SparkplugValues.ToEpochMilliseconds(t),
        _ => throw new SparkplugFormatException($"metric \"{label}\": timestamp must be milliseconds since 1970 or a Date"),
    };

    /// <summary>A JS value as the CLR value the codec expects; datasets and templates from their object form.</summary>
    private static object? ToClr(object? value, SparkplugDataType? type, string label) => (type, value) switch
    {
        (SparkplugDataType.DataSet, JsObject o) => DataSet(o, label),
        (null, JsObject o) when o.ContainsKey("columns") && o.ContainsKey("rows") => DataSet(o, label),
        (SparkplugDataType.Template, JsObject o) => Template(o, label),
        (null, JsObject o) when o.ContainsKey("metrics") => Template(o, label),
        (_, JsObject) => throw new SparkplugFormatException($"metric \"{label}\": an object value needs type DataSet (columns, types, rows) or Template (metrics)"),
        _ => value,
    };

    private static SparkplugDataSet DataSet(JsObject o, string label)
    {
        var columns = (o.Get("columns") as List<object?>)?.Select(c => c as string ?? throw new SparkplugFormatException($"metric \"{label}\": DataSet column names must be strings")).ToList()
            ?? throw new SparkplugFormatException($"metric \"{label}\": DataSet needs columns: [names]");
        var types = (o.Get("types") as List<object?>)?.Select(t => SparkplugDataTypes.Parse(t) ?? throw new SparkplugFormatException($"metric \"{label}\": unknown DataSet column type {JsJson.Serialize(t)}")).ToList()
            ?? throw new SparkplugFormatException($"metric \"{label}\": DataSet needs types: [one per column]");
        var rows = (o.Get("rows") as List<object?>)?.Select(r => (IReadOnlyList<object?>)(r as List<object?> ?? throw new SparkplugFormatException($"metric \"{label}\": DataSet rows must be arrays"))).ToList()
            ?? throw new SparkplugFormatException($"metric \"{label}\": DataSet needs rows: [[cells]]");
        return new SparkplugDataSet(columns, types, rows);
    }

    private static SparkplugTemplate Template(JsObject o, string label)
    {
        var metrics = o.Get("metrics") as List<object?> ?? [];
        var parameters = o.Get("parameters") as List<object?> ?? [];
        return new SparkplugTemplate
        {
            Version = o.Get("version") as string,
            TemplateRef = o.Get("templateRef") as string,
            IsDefinition = o.Get("isDefinition") is true,
            Metrics = metrics.Select((item, i) =>
            {
                var u = Update(item as JsObject ?? throw new SparkplugFormatException($"metric \"{label}\": template metric {i} is not an object"), i);
                var type = u.DataType ?? SparkplugValues.Infer(u.Value);
                return new SparkplugMetric { Name = u.Name, DataType = type, Value = u.Value, IsNull = u.Value is null, Timestamp = u.Timestamp, Properties = u.Properties };
            }).ToList(),
            Parameters = parameters.Select((item, i) =>
            {
                if (item is not JsObject p || p.Get("name") is not string name) throw new SparkplugFormatException($"metric \"{label}\": template parameter {i} needs a name");
                var type = SparkplugDataTypes.Parse(p.Get("type")) ?? SparkplugValues.Infer(p.Get("value"));
                return new SparkplugTemplateParameter(name, type, p.Get("value"));
            }).ToList(),
        };
    }

    /// <summary>Properties: <c>{"engUnit": "C", "Quality": {"type": "Int32", "value": 192}}</c>.</summary>
    private static SparkplugPropertySet Properties(JsObject o, string label)
    {
        var items = new List<KeyValuePair<string, SparkplugPropertyValue>>(o.Count);
        foreach (var (key, raw) in o)
        {
            var (typeValue, value) = raw is JsObject typed && typed.ContainsKey("value") ? (typed.Get("type"), typed.Get("value")) : (null, raw);
            var type = typeValue is null
                ? value is JsObject nested ? SparkplugDataType.PropertySet : SparkplugValues.Infer(value)
                : SparkplugDataTypes.Parse(typeValue) ?? throw new SparkplugFormatException($"metric \"{label}\": property \"{key}\" has unknown type {JsJson.Serialize(typeValue)}");
            if (type == SparkplugDataType.Unknown) throw new SparkplugFormatException($"metric \"{label}\": property \"{key}\" needs a type");
            object? clr = value is JsObject set ? Properties(set, label) : value;
            items.Add(new(key, new SparkplugPropertyValue(type, clr)));
        }
        return new SparkplugPropertySet(items);
    }

    // ---- to messages ----

    public static object? ToJs(object? value) => value switch
    {
        null => null,
        long l => (double)l,
        ulong u => (double)u,
        float f => (double)f,
        double or bool or string or byte[] or DateTime => value,
        SparkplugDataSet d => new JsObject
        {
            ["numOfColumns"] = (double)d.Columns.Count,
            ["columns"] = d.Columns.Select(c => (object?)c).ToList(),
            ["types"] = d.Types.Select(t => (object?)t.ToString()).ToList(),
            ["rows"] = d.Rows.Select(r => (object?)r.Select(ToJs).ToList()).ToList(),
        },
        SparkplugTemplate t => Template(t),
        SparkplugPropertySet p => Properties(p),
        IReadOnlyList<SparkplugPropertySet> sets => sets.Select(s => (object?)Properties(s)).ToList(),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(ToJs).ToList(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static JsObject Template(SparkplugTemplate t)
    {
        var o = new JsObject();
        if (t.Version is not null) o["version"] = t.Version;
        if (t.TemplateRef is not null) o["templateRef"] = t.TemplateRef;
        o["isDefinition"] = t.IsDefinition;
        o["metrics"] = t.Metrics.Select(m => (object?)Metric(m, null)).ToList();
        o["parameters"] = t.Parameters.Select(p => (object?)new JsObject { ["name"] = p.Name, ["type"] = p.Type.ToString(), ["value"] = ToJs(p.Value) }).ToList();
        return o;
    }

    public static JsObject Properties(SparkplugPropertySet set)
    {
        var o = new JsObject();
        foreach (var (key, item) in set.Items) o[key] = ToJs(item.Value);
        return o;
    }

    /// <summary>A metric as a plain object: name, alias, value, datatype, timestamp (ms), quality, properties.</summary>
    public static JsObject Metric(SparkplugMetric metric, SparkplugQuality? quality)
    {
        var o = new JsObject();
        if (metric.Name is not null) o["name"] = metric.Name;
        if (metric.Alias is { } alias) o["alias"] = (double)alias;
        o["value"] = metric.IsNull ? null : ToJs(metric.Value);
        o["datatype"] = metric.DataType.ToString();
        if (metric.Timestamp is { } ts) o["timestamp"] = (double)ts;
        if (quality is { } q) o["quality"] = QualityName(q);
        if (metric.IsHistorical) o["isHistorical"] = true;
        if (metric.IsTransient) o["isTransient"] = true;
        if (metric.Properties is { } p) o["properties"] = Properties(p);
        return o;
    }

    public static string QualityName(SparkplugQuality quality) => quality switch
    {
        SparkplugQuality.Good => "GOOD",
        SparkplugQuality.Stale => "STALE",
        _ => "BAD",
    };

    /// <summary>A list of metric definitions (the sparkplug-edge node's "metrics" property) as updates.</summary>
    public static List<SparkplugMetricUpdate> Definitions(object? value) => value switch
    {
        null or "" => [],
        string s => Updates(JsJson.Parse(s)),
        List<object?> { Count: 0 } => [],
        _ => Updates(value),
    };
}
