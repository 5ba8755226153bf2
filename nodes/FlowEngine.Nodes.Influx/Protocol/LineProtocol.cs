using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.Influx.Protocol;

/// <summary>The four field types of InfluxDB line protocol (plus unsigned, which 2.x and 3.x accept).</summary>
public enum FieldKind
{
    Float,
    Integer,
    Unsigned,
    String,
    Boolean,
}

/// <summary>One field value with its line-protocol type.</summary>
public readonly record struct FieldValue(FieldKind Kind, double Float = 0, long Integer = 0, ulong Unsigned = 0, string? Text = null, bool Boolean = false)
{
    public static FieldValue Of(double value) => new(FieldKind.Float, Float: value);
    public static FieldValue OfInteger(long value) => new(FieldKind.Integer, Integer: value);
    public static FieldValue OfUnsigned(ulong value) => new(FieldKind.Unsigned, Unsigned: value);
    public static FieldValue Of(string value) => new(FieldKind.String, Text: value);
    public static FieldValue Of(bool value) => new(FieldKind.Boolean, Boolean: value);

    public override string ToString() => Kind switch
    {
        FieldKind.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Integer => Integer.ToString(CultureInfo.InvariantCulture) + "i",
        FieldKind.Unsigned => Unsigned.ToString(CultureInfo.InvariantCulture) + "u",
        FieldKind.String => "\"" + Text + "\"",
        _ => Boolean ? "true" : "false",
    };
}

/// <summary>A point: measurement, tags, fields and a timestamp in nanoseconds since the Unix epoch.</summary>
public sealed record LinePoint(string Measurement, IReadOnlyList<KeyValuePair<string, string>> Tags,
    IReadOnlyList<KeyValuePair<string, FieldValue>> Fields, long TimestampNs);

/// <summary>A point cannot be written as line protocol (names the part that is wrong).</summary>
public sealed class LineProtocolException(string message) : Exception(message);

/// <summary>Timestamp units of the write and query APIs (InfluxDB v1 /write precision, v2 WritePrecision).</summary>
public enum TimePrecision
{
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

public static class TimePrecisions
{
    /// <summary>Parses the spellings Node-RED's influxdb nodes and the two APIs use: "", n, ns, u, us, µ, ms, s, m, h.</summary>
    public static bool TryParse(string? text, out TimePrecision precision)
    {
        precision = (text ?? "").Trim() switch
        {
            "" or "n" or "ns" => TimePrecision.Nanoseconds,
            "u" or "us" or "µ" or "µs" => TimePrecision.Microseconds,
            "ms" => TimePrecision.Milliseconds,
            "s" => TimePrecision.Seconds,
            "m" => TimePrecision.Minutes,
            "h" => TimePrecision.Hours,
            _ => (TimePrecision)(-1),
        };
        return (int)precision >= 0;
    }

    public static long NanosecondsPerUnit(TimePrecision precision) => precision switch
    {
        TimePrecision.Nanoseconds => 1,
        TimePrecision.Microseconds => 1_000,
        TimePrecision.Milliseconds => 1_000_000,
        TimePrecision.Seconds => 1_000_000_000,
        TimePrecision.Minutes => 60_000_000_000,
        _ => 3_600_000_000_000,
    };

    /// <summary>The v1 API spelling (n, u, ms, s, m, h), also used for the query epoch parameter.</summary>
    public static string V1Name(TimePrecision precision) => precision switch
    {
        TimePrecision.Nanoseconds => "n",
        TimePrecision.Microseconds => "u",
        TimePrecision.Milliseconds => "ms",
        TimePrecision.Seconds => "s",
        TimePrecision.Minutes => "m",
        _ => "h",
    };

    /// <summary>A timestamp number in <paramref name="precision"/> as nanoseconds; throws when it does not fit in 64 bits.</summary>
    public static long ToNanoseconds(double value, TimePrecision precision)
    {
        if (double.IsNaN(value) || double.IsInfinity(value)) throw new LineProtocolException($"timestamp {value} is not a number");
        // Whole and fractional parts apart, in integers: a millisecond epoch times 10^6 is beyond a double's 53 bits
        // and would come out a few hundred nanoseconds off.
        var factor = NanosecondsPerUnit(precision);
        var whole = Math.Truncate(value);
        if (Math.Abs(whole) >= long.MaxValue / (double)factor) throw new LineProtocolException($"timestamp {value} is out of range for precision {V1Name(precision)}");
        return (long)whole * factor + (long)Math.Round((value - whole) * factor);
    }

    public static long ToNanoseconds(DateTime utc) => (utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
}

/// <summary>
/// Writes points as InfluxDB line protocol. Escaping follows the line protocol reference: in measurements commas
/// and spaces are escaped; in tag keys, tag values and field keys commas, equals signs and spaces; in string field
/// values double quotes and backslashes. A newline cannot be represented outside a string field, so it is refused.
/// </summary>
public static class LineProtocol
{
    public static string Format(LinePoint point)
    {
        var sb = new StringBuilder(64);
        Append(sb, point);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, LinePoint point)
    {
        if (string.IsNullOrEmpty(point.Measurement)) throw new LineProtocolException("the measurement name is empty");
        if (point.Measurement[0] == '#') throw new LineProtocolException($"measurement \"{point.Measurement}\" starts with '#', which line protocol reads as a comment");
        if (point.Fields.Count == 0) throw new LineProtocolException($"point of measurement \"{point.Measurement}\" has no fields");
        AppendEscaped(sb, point.Measurement, "measurement", escapeEquals: false);
        foreach (var (key, value) in point.Tags)
        {
            if (key.Length == 0) throw new LineProtocolException("a tag key is empty");
            if (value.Length == 0) continue; // InfluxDB refuses empty tag values; an empty tag is the same as no tag
            sb.Append(',');
            AppendEscaped(sb, key, "tag key", escapeEquals: true);
            sb.Append('=');
            AppendEscaped(sb, value, $"tag \"{key}\"", escapeEquals: true);
        }
        sb.Append(' ');
        var first = true;
        foreach (var (key, value) in point.Fields)
        {
            if (key.Length == 0) throw new LineProtocolException("a field key is empty");
            if (!first) sb.Append(',');
            first = false;
            AppendEscaped(sb, key, "field key", escapeEquals: true);
            sb.Append('=');
            AppendValue(sb, key, value);
        }
        sb.Append(' ').Append(point.TimestampNs.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendValue(StringBuilder sb, string key, FieldValue value)
    {
        switch (value.Kind)
        {
            case FieldKind.Float:
                if (double.IsNaN(value.Float) || double.IsInfinity(value.Float))
                    throw new LineProtocolException($"field \"{key}\" is {value.Float}; InfluxDB stores only finite floats");
                sb.Append(value.Float.ToString("R", CultureInfo.InvariantCulture));
                break;
            case FieldKind.Integer:
                sb.Append(value.Integer.ToString(CultureInfo.InvariantCulture)).Append('i');
                break;
            case FieldKind.Unsigned:
                sb.Append(value.Unsigned.ToString(CultureInfo.InvariantCulture)).Append('u');
                break;
            case FieldKind.Boolean:
                sb.Append(value.Boolean ? "true" : "false");
                break;
            default:
                sb.Append('"');
                foreach (var c in value.Text ?? "")
                {
                    if (c is '"' or '\\') sb.Append('\\');
                    sb.Append(c);
                }
                sb.Append('"');
                break;
        }
    }

    private static void AppendEscaped(StringBuilder sb, string text, string what, bool escapeEquals)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n' or '\r':
                    throw new LineProtocolException($"{what} \"{text.ReplaceLineEndings(" ")}\" contains a line break, which line protocol cannot carry");
                case ',' or ' ':
                    sb.Append('\\').Append(c);
                    break;
                case '=' when escapeEquals:
                    sb.Append('\\').Append(c);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        // A trailing backslash would escape the separator after it.
        if (text.EndsWith('\\')) throw new LineProtocolException($"{what} \"{text}\" ends with a backslash, which line protocol cannot carry");
    }
}
