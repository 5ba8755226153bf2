using System.Globalization;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx;

/// <summary>
/// Turns message payloads into points, following node-red-contrib-influxdb's shapes:
/// <list type="bullet">
/// <item><c>influxdb out</c>: a number, string or boolean is the field <c>value</c>; an object is the fields; an
/// array <c>[fields, tags]</c> is one point with tags; an array of such arrays is several points.
/// <c>msg.measurement</c> overrides the node's measurement; a <c>time</c> field is the timestamp.</item>
/// <item><c>influxdb batch</c>: an array of <c>{measurement, fields, tags, timestamp}</c>.</item>
/// </list>
/// A string field such as <c>"12i"</c> is written as an integer (the Node-RED node's convention); FlowEngine's own
/// nodes also take <c>"12u"</c> as an unsigned integer (2.x, 3.x). Timestamps are a Date or a number in the node's
/// precision. A point without a timestamp gets the time it was received, made unique per node, so points are
/// never merged by the server and a re-sent batch overwrites itself instead of adding duplicates.
/// </summary>
internal sealed partial class PointMapper(TimePrecision precision, bool allowUnsigned, Func<long> receivedTimestamp)
{
    [GeneratedRegex(@"^-?\d+i$")]
    private static partial Regex IntegerString();

    [GeneratedRegex(@"^\d+u$")]
    private static partial Regex UnsignedString();

    public List<LinePoint> FromOutMessage(JsObject msg, string configuredMeasurement)
    {
        var measurement = msg.Get("measurement") is string m && m.Length > 0 ? m : configuredMeasurement;
        if (string.IsNullOrEmpty(measurement)) throw new LineProtocolException("no measurement: set one on the node or in msg.measurement");
        var payload = msg.Get("payload");
        var points = new List<LinePoint>();
        if (payload is List<object?> { Count: > 0 } list)
        {
            if (list[0] is List<object?>)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is not List<object?> pair || pair.Count == 0)
                        throw new LineProtocolException($"msg.payload[{i}] must be an array [fields, tags]");
                    points.Add(Point(measurement, pair[0], pair.Count > 1 ? pair[1] : null, null, $"msg.payload[{i}]"));
                }
            }
            else
            {
                points.Add(Point(measurement, list[0], list.Count > 1 ? list[1] : null, null, "msg.payload"));
            }
        }
        else if (payload is JsObject fields)
        {
            points.Add(Point(measurement, fields, null, null, "msg.payload"));
        }
        else if (payload is double or string or bool)
        {
            points.Add(Point(measurement, new JsObject { ["value"] = payload }, null, null, "msg.payload"));
        }
        else
        {
            throw new LineProtocolException($"msg.payload is {JsValue.TypeName(payload)}; expected a number, string, boolean, an object of fields, [fields, tags] or an array of those");
        }
        return points;
    }

    public List<LinePoint> FromBatchMessage(JsObject msg)
    {
        if (msg.Get("payload") is not List<object?> list)
            throw new LineProtocolException($"msg.payload is {JsValue.TypeName(msg.Get("payload"))}; expected an array of {{measurement, fields, tags, timestamp}}");
        var points = new List<LinePoint>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var where = $"msg.payload[{i}]";
            if (list[i] is not JsObject item) throw new LineProtocolException($"{where} is {JsValue.TypeName(list[i])}; expected {{measurement, fields, tags, timestamp}}");
            if (item.Get("measurement") is not string { Length: > 0 } measurement) throw new LineProtocolException($"{where}.measurement is missing");
            points.Add(Point(measurement, item.Get("fields"), item.Get("tags"), item.Get("timestamp"), where));
        }
        return points;
    }

    private LinePoint Point(string measurement, object? fieldsValue, object? tagsValue, object? timestamp, string where)
    {
        if (fieldsValue is not JsObject fieldsObject) throw new LineProtocolException($"{where}: the fields must be an object, got {JsValue.TypeName(fieldsValue)}");
        var fields = new List<KeyValuePair<string, FieldValue>>(fieldsObject.Count);
        foreach (var (key, value) in fieldsObject)
        {
            if (key == "time" && timestamp is null)
            {
                // Node-RED's node takes a truthy fields.time as the timestamp and leaves it out of the fields.
                if (JsValue.IsTruthy(value)) { timestamp = value; continue; }
            }
            if (value is null) continue;
            fields.Add(new(key, Field(key, value, where)));
        }
        if (fields.Count == 0) throw new LineProtocolException($"{where}: a point needs at least one field");
        var tags = new List<KeyValuePair<string, string>>();
        if (tagsValue is JsObject tagsObject)
        {
            foreach (var (key, value) in tagsObject)
            {
                var text = value switch
                {
                    null => null,
                    string s => s,
                    double d => JsValue.FormatNumber(d),
                    bool b => b ? "true" : "false",
                    _ => throw new LineProtocolException($"{where}: tag \"{key}\" is {JsValue.TypeName(value)}; tags are strings"),
                };
                if (text is not null) tags.Add(new(key, text));
            }
            // InfluxDB asks for tags sorted by key (byte order) for the best write performance.
            tags.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        }
        else if (tagsValue is not null)
        {
            throw new LineProtocolException($"{where}: the tags must be an object, got {JsValue.TypeName(tagsValue)}");
        }
        return new LinePoint(measurement, tags, fields, Timestamp(timestamp, where));
    }

    private FieldValue Field(string key, object value, string where) => value switch
    {
        double d when double.IsFinite(d) => FieldValue.Of(d),
        double d => throw new LineProtocolException($"{where}: field \"{key}\" is {JsValue.FormatNumber(d)}; InfluxDB stores only finite numbers"),
        bool b => FieldValue.Of(b),
        string s when IntegerString().IsMatch(s) => long.TryParse(s.AsSpan(0, s.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
            ? FieldValue.OfInteger(l)
            : throw new LineProtocolException($"{where}: field \"{key}\" = {s} does not fit a 64-bit integer"),
        string s when allowUnsigned && UnsignedString().IsMatch(s) => ulong.TryParse(s.AsSpan(0, s.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var u)
            ? FieldValue.OfUnsigned(u)
            : throw new LineProtocolException($"{where}: field \"{key}\" = {s} does not fit a 64-bit unsigned integer"),
        string s => FieldValue.Of(s),
        DateTime dt => FieldValue.Of(dt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
        _ => throw new LineProtocolException($"{where}: field \"{key}\" is {JsValue.TypeName(value)}; fields are numbers, strings or booleans"),
    };

    private long Timestamp(object? value, string where)
    {
        try
        {
            return value switch
            {
                null => receivedTimestamp(),
                DateTime dt => TimePrecisions.ToNanoseconds(dt),
                double d => TimePrecisions.ToNanoseconds(d, precision),
                string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => TimePrecisions.ToNanoseconds(d, precision),
                string s when DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt) => TimePrecisions.ToNanoseconds(dt),
                _ => throw new LineProtocolException($"the timestamp is {JsValue.TypeName(value)}; expected a Date or a number"),
            };
        }
        catch (LineProtocolException ex)
        {
            throw new LineProtocolException($"{where}: {ex.Message}");
        }
    }
}
